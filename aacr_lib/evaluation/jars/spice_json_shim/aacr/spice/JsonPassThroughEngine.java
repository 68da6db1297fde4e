package aacr.spice;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;

import javax.script.AbstractScriptEngine;
import javax.script.Bindings;
import javax.script.ScriptContext;
import javax.script.ScriptEngineFactory;
import javax.script.ScriptException;
import javax.script.SimpleBindings;

/** Evaluates only `result = JSON.stringify(JSON.parse(jsonString), null, 2)`: result = jsonString. */
public class JsonPassThroughEngine extends AbstractScriptEngine {

	static final String SPICE_STATEMENT = "result = JSON.stringify(JSON.parse(jsonString), null, 2)";

	private final ScriptEngineFactory factory;

	JsonPassThroughEngine(ScriptEngineFactory factory) { this.factory = factory; }

	public Object eval(String script, ScriptContext context) throws ScriptException {
		if (!SPICE_STATEMENT.equals(script.trim())) {
			throw new ScriptException("the aacr JSON pass-through engine only runs SPICE's statement");
		}
		Object json = context.getAttribute("jsonString");
		context.setAttribute("result", json, ScriptContext.ENGINE_SCOPE);
		return json;
	}

	public Object eval(Reader reader, ScriptContext context) throws ScriptException {
		StringBuilder script = new StringBuilder();
		try {
			BufferedReader buffered = new BufferedReader(reader);
			String line;
			while ((line = buffered.readLine()) != null) script.append(line).append('\n');
		} catch (IOException ex) {
			throw new ScriptException(ex);
		}
		return eval(script.toString(), context);
	}

	public Bindings createBindings() { return new SimpleBindings(); }

	public ScriptEngineFactory getFactory() { return factory; }
}

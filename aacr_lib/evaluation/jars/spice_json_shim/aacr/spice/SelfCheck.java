package aacr.spice;

import javax.script.ScriptEngine;
import javax.script.ScriptEngineManager;

/** Runs SPICE's output step alone: prints the engine found for "JavaScript" and its result. */
public class SelfCheck {
	public static void main(String[] args) throws Exception {
		ScriptEngine engine = new ScriptEngineManager().getEngineByName("JavaScript");
		engine.put("jsonString", "[{\"image_id\":0,\"scores\":{\"All\":{\"f\":0.5}}}]");
		engine.eval("result = JSON.stringify(JSON.parse(jsonString), null, 2)");
		System.out.println(engine.getFactory().getEngineName());
		System.out.println(engine.get("result"));
	}
}

package semaim.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.google.gson.JsonParser;

/** Issue 22 item 5: NaN and the infinities are not JSON; semaim writes them as null. */
class JsonTest {
    record Values(double loss, float scale, Double boxed, double[] iou) {}

    @Test
    void nonFiniteNumbersAreWrittenAsNullAndReadBackAsNaN() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("final_loss", Double.NaN);
        m.put("img_per_s", Double.POSITIVE_INFINITY);
        m.put("ok", 0.25);
        m.put("iou", new double[] {50.0, Double.NaN});
        m.put("record", new Values(Double.NEGATIVE_INFINITY, Float.NaN, Double.NaN, new double[] {Double.NaN}));
        for (String json : new String[] {Json.toJson(m), Json.gson(false).toJson(m)}) {
            assertFalse(json.contains("NaN") || json.contains("Infinity"), json);
            JsonParser.parseString(json);   // strict parsers read it
            assertTrue(json.contains("\"final_loss\": null") || json.contains("\"final_loss\":null"), json);
            assertTrue(json.contains("0.25") && json.contains("50.0"), json);
        }
        Values back = Json.fromJson(Json.toJson(new Values(Double.NaN, Float.NaN, null, new double[] {1, Double.NaN})),
                Values.class);
        assertTrue(Double.isNaN(back.loss()) && Float.isNaN(back.scale()) && back.boxed() == null);
        assertEquals(1.0, back.iou()[0]);
        assertTrue(Double.isNaN(back.iou()[1]));
    }
}

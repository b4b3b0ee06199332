package semaim.io;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

/**
 * A strict JSON parser for files that must mean exactly one thing: standard JSON only (no comments, no unquoted
 * names), one document, and no object that names a key twice (Gson's own parser keeps the last duplicate, so two
 * readers could see two different files).
 */
final class StrictJson {
    private StrictJson() {}

    /** A key that appears twice in one object. */
    static final class DuplicateKeyException extends JsonParseException {
        private static final long serialVersionUID = 1L;
        private final String key;

        DuplicateKeyException(String key) {
            super("duplicate key '" + key + "'");
            this.key = key;
        }

        String key() {
            return key;
        }
    }

    static JsonElement parse(String json) throws IOException {
        try (JsonReader r = new JsonReader(new StringReader(json))) {
            r.setStrictness(com.google.gson.Strictness.STRICT);
            JsonElement e = read(r);
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("text after the JSON document");
            }
            return e;
        }
    }

    private static JsonElement read(JsonReader r) throws IOException {
        switch (r.peek()) {
            case BEGIN_OBJECT: {
                JsonObject o = new JsonObject();
                r.beginObject();
                while (r.hasNext()) {
                    String name = r.nextName();
                    if (o.has(name)) {
                        throw new DuplicateKeyException(name);
                    }
                    o.add(name, read(r));
                }
                r.endObject();
                return o;
            }
            case BEGIN_ARRAY: {
                JsonArray a = new JsonArray();
                r.beginArray();
                while (r.hasNext()) {
                    a.add(read(r));
                }
                r.endArray();
                return a;
            }
            case STRING:
                return new JsonPrimitive(r.nextString());
            case NUMBER:
                return new JsonPrimitive(new BigDecimal(r.nextString()));
            case BOOLEAN:
                return new JsonPrimitive(r.nextBoolean());
            case NULL:
                r.nextNull();
                return JsonNull.INSTANCE;
            default:
                throw new JsonParseException("unexpected " + r.peek() + " at " + r.getPath());
        }
    }
}

package semaim.io;

import java.io.IOException;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;

/**
 * The one JSON style of every file semaim writes. NaN and the infinities are not JSON (RFC 8259; Python's
 * {@code json} and {@code jq} reject or mangle them), so a non-finite number is written as {@code null}: "no value",
 * such as the IoU of a class that occurs nowhere, or the loss of a session that trained no step. Every writer of
 * JSON in the project goes through {@link #gson} or {@link #toJson}; a test scans what the commands write.
 */
public final class Json {
    private static final Gson PRETTY = builder().setPrettyPrinting().create();
    private static final Gson COMPACT = builder().create();

    private Json() {}

    /** The project's Gson settings, for callers that add their own adapters. */
    public static GsonBuilder builder() {
        return new GsonBuilder().registerTypeAdapter(Double.class, finiteOrNull(false, false))
                .registerTypeAdapter(double.class, finiteOrNull(false, true))
                .registerTypeAdapter(Float.class, finiteOrNull(true, false))
                .registerTypeAdapter(float.class, finiteOrNull(true, true));
    }

    /** Pretty-printed (files a person reads) or compact (one line: JSON lines, file headers). */
    public static Gson gson(boolean pretty) {
        return pretty ? PRETTY : COMPACT;
    }

    /** {@code value} as pretty-printed JSON. */
    public static String toJson(Object value) {
        return PRETTY.toJson(value);
    }

    /** Parses {@code json} into a {@code type} (records included). */
    public static <T> T fromJson(String json, Class<T> type) {
        return PRETTY.fromJson(json, type);
    }

    /**
     * Writes a finite number as it is and a non-finite one as null; reads null back as NaN into a primitive and
     * as null into a boxed number.
     */
    private static TypeAdapter<Number> finiteOrNull(boolean asFloat, boolean primitive) {
        return new TypeAdapter<>() {
            @Override
            public void write(JsonWriter out, Number v) throws IOException {
                if (v == null || !Double.isFinite(v.doubleValue())) {
                    // Written even where Gson leaves other nulls out: a summary without its "final_loss" key would
                    // read as a file of another version, not as "no value".
                    boolean nulls = out.getSerializeNulls();
                    out.setSerializeNulls(true);
                    out.nullValue();
                    out.setSerializeNulls(nulls);
                } else {
                    out.value(v);
                }
            }

            @Override
            public Number read(JsonReader in) throws IOException {
                if (in.peek() == JsonToken.NULL) {
                    in.nextNull();
                    return !primitive ? null : asFloat ? (Number) Float.NaN : (Number) Double.NaN;
                }
                double d = in.nextDouble();
                return asFloat ? (Number) (float) d : (Number) d;
            }
        };
    }
}

package semaim.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/** The one JSON style of every file semaim writes: pretty-printed, NaN and infinities allowed. */
public final class Json {
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .create();

    private Json() {}

    /** {@code value} as pretty-printed JSON. */
    public static String toJson(Object value) {
        return GSON.toJson(value);
    }

    /** Parses {@code json} into a {@code type} (records included). */
    public static <T> T fromJson(String json, Class<T> type) {
        return GSON.fromJson(json, type);
    }
}

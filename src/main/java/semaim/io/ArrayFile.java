package semaim.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One float32 array written row by row, so that memory stays bounded however many rows there are, and resumable: a
 * file cut short (a stopped run) is reopened at its last complete row. The format follows the file name:
 * <ul>
 *   <li>{@code .npy}: NumPy's format 1.0 ({@code \x93NUMPY}, version, a little-endian u16 header length, a
 *       Python-literal header {@code {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }} padded with
 *       spaces to a multiple of 64 bytes and ended by a newline), then the data in C order;</li>
 *   <li>{@code .safetensors}: one tensor named {@code embeddings} (u64 header length, JSON header with dtype F32,
 *       shape and offsets, plus metadata), then the data.</li>
 * </ul>
 * Both headers depend only on the shape, which is known before the first row, so the header is written first and
 * the rows are appended after it; the data part is raw little-endian float32 in both.
 */
public final class ArrayFile implements AutoCloseable {
    private final FileChannel ch;
    private final long headerBytes;
    private final long rowFloats;
    private long rows;

    private ArrayFile(FileChannel ch, long headerBytes, long rowFloats, long rows) {
        this.ch = ch;
        this.headerBytes = headerBytes;
        this.rowFloats = rowFloats;
        this.rows = rows;
    }

    /** The header of an array of {@code shape} in the format of {@code name}'s extension. */
    public static byte[] header(String name, long[] shape, Map<String, String> metadata) {
        String lower = name.toLowerCase(Locale.ROOT);
        long floats = 1;
        for (long s : shape) {
            floats *= s;
        }
        if (lower.endsWith(".npy") || lower.endsWith(".npy.part")) {
            StringBuilder dims = new StringBuilder();
            for (int i = 0; i < shape.length; i++) {
                dims.append(i == 0 ? "" : ", ").append(shape[i]);
            }
            if (shape.length == 1) {
                dims.append(',');   // a Python 1-tuple
            }
            String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
            int unpadded = 10 + dict.length() + 1;
            int total = (unpadded + 63) / 64 * 64;
            String text = dict + " ".repeat(total - unpadded) + "\n";
            ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
            b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
            b.putShort((short) text.length());
            b.put(text.getBytes(StandardCharsets.US_ASCII));
            return b.array();
        }
        if (lower.endsWith(".safetensors") || lower.endsWith(".safetensors.part")) {
            Map<String, Object> tensor = new LinkedHashMap<>();
            tensor.put("dtype", "F32");
            tensor.put("shape", shape);
            tensor.put("data_offsets", new long[] {0, floats * 4});
            Map<String, Object> h = new LinkedHashMap<>();
            if (metadata != null && !metadata.isEmpty()) {
                h.put("__metadata__", metadata);
            }
            h.put("embeddings", tensor);
            byte[] json = Json.gson(false).toJson(h).getBytes(StandardCharsets.UTF_8);
            int padded = (json.length + 7) / 8 * 8;
            ByteBuffer b = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(padded).put(json);
            while (b.hasRemaining()) {
                b.put((byte) ' ');
            }
            return b.array();
        }
        throw new IllegalArgumentException("unknown array format for " + name + ": use .npy or .safetensors");
    }

    /**
     * Opens {@code file} for an array of {@code shape} (rows first). A file that already holds this header is
     * continued after its last complete row, but not beyond {@code maxRows}; anything else there is replaced.
     */
    public static ArrayFile open(Path file, long[] shape, Map<String, String> metadata, long maxRows)
            throws IOException {
        byte[] header = header(file.getFileName().toString(), shape, metadata);
        long rowFloats = 1;
        for (int i = 1; i < shape.length; i++) {
            rowFloats *= shape[i];
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        long rows = 0;
        if (ch.size() >= header.length) {
            ByteBuffer existing = ByteBuffer.allocate(header.length);
            while (existing.hasRemaining() && ch.read(existing, existing.position()) > 0) {
                // read the whole header
            }
            if (java.util.Arrays.equals(existing.array(), header)) {
                rows = Math.min(maxRows, (ch.size() - header.length) / (rowFloats * 4));
            }
        }
        if (rows == 0) {
            ch.truncate(0);
            ByteBuffer h = ByteBuffer.wrap(header);
            while (h.hasRemaining()) {
                ch.write(h, h.position());
            }
        }
        ch.truncate(header.length + rows * rowFloats * 4);
        return new ArrayFile(ch, header.length, rowFloats, rows);
    }

    /** Complete rows in the file. */
    public long rows() {
        return rows;
    }

    /** Appends whole rows (a multiple of the row length) and forces them to disk. */
    public void append(float[] values) throws IOException {
        if (values.length % rowFloats != 0) {
            throw new IllegalArgumentException(values.length + " values are not whole rows of " + rowFloats);
        }
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        long at = headerBytes + rows * rowFloats * 4;
        while (b.hasRemaining()) {
            at += ch.write(b, at);
        }
        ch.force(false);
        rows += values.length / rowFloats;
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}

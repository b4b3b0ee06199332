package semaim.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;

import semaim.torch.Torch;

/**
 * Reader and writer of the safetensors format (8-byte little-endian header length, a JSON header, raw
 * little-endian tensor bytes). Nothing in a file is executed: unlike a pickle, a safetensors file is data only.
 *
 * <p>The reader validates the header before reading any tensor: length inside the file, valid JSON object, known
 * dtypes, non-negative shapes, offsets inside the data, byte sizes matching dtype x shape, and data fully covered
 * without overlaps or holes (as the specification requires). A malformed file raises
 * {@link SafeTensorsException} naming the file and the fault.
 */
public final class SafeTensors {
    /** The specification's upper bound on the header, which also bounds memory before any check. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final String METADATA = "__metadata__";

    private SafeTensors() {}

    /** Tensors by name (in file order of their data) and the free-form string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /** One header entry. */
    record Entry(String name, Dtype dtype, long[] shape, long begin, long end) {}

    /** The dtypes we read and write, with their element sizes and libtorch types. */
    public enum Dtype {
        F64(8, torch.ScalarType.Double),
        F32(4, torch.ScalarType.Float),
        F16(2, torch.ScalarType.Half),
        BF16(2, torch.ScalarType.BFloat16),
        I64(8, torch.ScalarType.Long),
        I32(4, torch.ScalarType.Int),
        I16(2, torch.ScalarType.Short),
        I8(1, torch.ScalarType.Char),
        U8(1, torch.ScalarType.Byte),
        BOOL(1, torch.ScalarType.Bool);

        final int bytes;
        final torch.ScalarType scalarType;

        Dtype(int bytes, torch.ScalarType scalarType) {
            this.bytes = bytes;
            this.scalarType = scalarType;
        }

        static Dtype of(torch.ScalarType t) {
            for (Dtype d : values()) {
                if (d.scalarType == t.intern()) {
                    return d;
                }
            }
            throw new IllegalArgumentException("safetensors cannot store tensors of type " + t);
        }
    }

    /** Reads every tensor and the metadata. */
    public static Contents read(Path file) throws IOException {
        requireLittleEndianHost();
        Torch.init();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header header = readHeader(file, ch);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Entry e : header.entries) {
                long[] shape = e.shape;
                Tensor t = torch.zeros(shape).to(e.dtype.scalarType).contiguous();
                long n = e.end - e.begin;
                if (n > 0) {
                    BytePointer dst = new BytePointer(t.data_ptr()).capacity(n);
                    ByteBuffer buf = dst.asBuffer();
                    long pos = header.dataStart + e.begin;
                    while (buf.hasRemaining()) {
                        int r = ch.read(buf, pos);
                        if (r < 0) {
                            throw new SafeTensorsException(file, "unexpected end of file inside tensor '" + e.name
                                    + "'");
                        }
                        pos += r;
                    }
                }
                tensors.put(e.name, t);
            }
            return new Contents(tensors, header.metadata);
        }
    }

    /**
     * Writes tensors (any device; copied to CPU) and metadata. The file appears atomically: data go to a temporary
     * file in the same folder, which is then renamed, so a crash never leaves a half-written file under the name.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        requireLittleEndianHost();
        List<String> names = new ArrayList<>(tensors.keySet());
        List<Tensor> cpu = new ArrayList<>();
        JsonObject header = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add(METADATA, meta);
        }
        long offset = 0;
        for (String name : names) {
            if (name.equals(METADATA)) {
                throw new IllegalArgumentException("'" + METADATA + "' is reserved and cannot name a tensor");
            }
            Tensor t = tensors.get(name).detach().cpu().contiguous();
            cpu.add(t);
            Dtype dt = Dtype.of(t.scalar_type());
            JsonObject e = new JsonObject();
            e.addProperty("dtype", dt.name());
            JsonArray shape = new JsonArray();
            for (int i = 0; i < t.dim(); i++) {
                shape.add(t.size(i));
            }
            e.add("shape", shape);
            JsonArray offs = new JsonArray();
            offs.add(offset);
            offs.add(offset + t.nbytes());
            e.add("data_offsets", offs);
            header.add(name, e);
            offset += t.nbytes();
        }
        byte[] json = Json.gson(false).toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;   // the data start 8-byte aligned, as the reference writer does
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');

        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
                len.flip();
                writeFully(ch, len);
                writeFully(ch, ByteBuffer.wrap(headerBytes));
                for (Tensor t : cpu) {
                    if (t.nbytes() > 0) {
                        writeFully(ch, new BytePointer(t.data_ptr()).capacity(t.nbytes()).asBuffer());
                    }
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static void requireLittleEndianHost() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("safetensors I/O needs a little-endian host");
        }
    }

    private record Header(List<Entry> entries, Map<String, String> metadata, long dataStart) {}

    private static Header readHeader(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new SafeTensorsException(file, "file is " + size + " bytes, shorter than the 8-byte header length"
                    + " (truncated or not a safetensors file)");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(lenBuf, 0);
        long headerLen = lenBuf.flip().getLong();
        if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES) {
            throw new SafeTensorsException(file, "header length " + Long.toUnsignedString(headerLen)
                    + " is not in 1.." + MAX_HEADER_BYTES + " (not a safetensors file?)");
        }
        if (8 + headerLen > size) {
            throw new SafeTensorsException(file, "header length " + headerLen + " runs past the end of the "
                    + size + "-byte file (truncated?)");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        while (hb.hasRemaining()) {
            if (ch.read(hb, 8 + hb.position()) < 0) {
                throw new SafeTensorsException(file, "unexpected end of file in the header");
            }
        }
        String json;
        try {
            json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(hb.flip()).toString();
        } catch (CharacterCodingException e) {
            throw new SafeTensorsException(file, "header is not valid UTF-8 (the format requires it)");
        }
        JsonObject root;
        try {
            JsonElement parsed = StrictJson.parse(json);
            if (!parsed.isJsonObject()) {
                throw new SafeTensorsException(file, "header is JSON but not an object");
            }
            root = parsed.getAsJsonObject();
        } catch (StrictJson.DuplicateKeyException e) {
            throw new SafeTensorsException(file, "header names '" + e.key() + "' twice");
        } catch (JsonParseException | IllegalStateException | IOException e) {
            throw new SafeTensorsException(file, "header is not valid JSON: " + e.getMessage());
        }
        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonElement> kv : root.entrySet()) {
            String name = kv.getKey();
            if (name.equals(METADATA)) {
                if (!kv.getValue().isJsonObject()) {
                    throw new SafeTensorsException(file, METADATA + " must be an object of strings");
                }
                for (Map.Entry<String, JsonElement> m : kv.getValue().getAsJsonObject().entrySet()) {
                    if (!isString(m.getValue())) {
                        throw new SafeTensorsException(file, METADATA + "." + m.getKey() + " is not a string");
                    }
                    metadata.put(m.getKey(), m.getValue().getAsString());
                }
                continue;
            }
            entries.add(parseEntry(file, name, kv.getValue(), dataSize));
        }
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry e : entries) {
            if (e.begin != expected) {
                throw new SafeTensorsException(file, e.begin < expected
                        ? "tensor '" + e.name + "' overlaps the previous tensor's bytes (offset " + e.begin + ")"
                        : "data has a hole before tensor '" + e.name + "' (bytes " + expected + ".." + e.begin
                                + " are not indexed)");
            }
            expected = e.end;
        }
        if (expected != dataSize) {
            throw new SafeTensorsException(file, "data section is " + dataSize + " bytes but the tensors cover "
                    + expected + (expected < dataSize ? " (trailing bytes)" : ""));
        }
        return new Header(entries, metadata, dataStart);
    }

    private static Entry parseEntry(Path file, String name, JsonElement v, long dataSize) {
        if (!v.isJsonObject()) {
            throw new SafeTensorsException(file, "entry '" + name + "' is not an object");
        }
        JsonObject o = v.getAsJsonObject();
        if (!isString(o.get("dtype"))) {
            throw new SafeTensorsException(file, "entry '" + name + "' has no dtype string");
        }
        String dtypeName = o.get("dtype").getAsString();
        Dtype dtype;
        try {
            dtype = Dtype.valueOf(dtypeName);
        } catch (IllegalArgumentException e) {
            throw new SafeTensorsException(file, "tensor '" + name + "' has unsupported dtype '" + dtypeName
                    + "' (supported: " + Arrays.toString(Dtype.values()) + ")");
        }
        long[] shape = longArray(file, name, "shape", o.get("shape"), -1);
        long[] offsets = longArray(file, name, "data_offsets", o.get("data_offsets"), 2);
        long begin = offsets[0], end = offsets[1];
        if (begin > end) {
            throw new SafeTensorsException(file, "tensor '" + name + "' has data_offsets [" + begin + ", " + end
                    + "] with begin after end");
        }
        if (end > dataSize) {
            throw new SafeTensorsException(file, "tensor '" + name + "' ends at byte " + end
                    + " of a " + dataSize + "-byte data section (out of range or truncated file)");
        }
        long numel = 1, bytes;
        try {
            for (long s : shape) {
                numel = Math.multiplyExact(numel, s);
            }
            bytes = Math.multiplyExact(numel, (long) dtype.bytes);
        } catch (ArithmeticException e) {
            throw new SafeTensorsException(file, "tensor '" + name + "' has shape " + Arrays.toString(shape)
                    + ", whose size does not fit in 64 bits");
        }
        if (bytes != end - begin) {
            throw new SafeTensorsException(file, "tensor '" + name + "' is " + dtype + " " + Arrays.toString(shape)
                    + " = " + bytes + " bytes, but its data_offsets span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static long[] longArray(Path file, String name, String field, JsonElement v, int length) {
        if (v == null || !v.isJsonArray()) {
            throw new SafeTensorsException(file, "tensor '" + name + "' has no " + field + " array");
        }
        JsonArray a = v.getAsJsonArray();
        if (length >= 0 && a.size() != length) {
            throw new SafeTensorsException(file, "tensor '" + name + "' " + field + " must have " + length
                    + " values, has " + a.size());
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement e = a.get(i);
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw new SafeTensorsException(file, "tensor '" + name + "' " + field + " holds a non-number");
            }
            java.math.BigDecimal d = e.getAsBigDecimal();
            if (d.signum() < 0 || d.scale() > 0 && d.stripTrailingZeros().scale() > 0
                    || d.compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
                throw new SafeTensorsException(file, "tensor '" + name + "' " + field + " holds " + d
                        + ", not a non-negative integer");
            }
            out[i] = d.longValueExact();
        }
        return out;
    }

    private static boolean isString(JsonElement e) {
        return e != null && e.isJsonPrimitive() && ((JsonPrimitive) e).isString();
    }
}

package semaim.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Items 5 and 11 of the reliability issue: hostile or unusual image files. */
class DecodingSafetyTest {
    @TempDir
    Path dir;

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getCurrentThreadAllocatedBytes();
    }

    /** A valid PNG header declaring {@code w x h} RGB pixels, followed by a tiny image stream. */
    static byte[] pngDeclaring(int w, int h) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(ihdr);
        d.writeInt(w);
        d.writeInt(h);
        d.write(new byte[] {8, 2, 0, 0, 0});   // 8 bits, RGB, deflate, no filter, no interlace
        chunk(out, "IHDR", ihdr.toByteArray());
        Deflater z = new Deflater();
        z.setInput(new byte[4096]);
        z.finish();
        byte[] buf = new byte[8192];
        chunk(out, "IDAT", java.util.Arrays.copyOf(buf, z.deflate(buf)));
        chunk(out, "IEND", new byte[0]);
        return bytes.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws Exception {
        out.writeInt(data.length);
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeInt((int) crc.getValue());
    }

    @Test
    void aDecompressionBombIsRefusedFromItsHeaderWithoutAllocatingIt() throws Exception {
        Path bomb = dir.resolve("bomb.png");
        Files.write(bomb, pngDeclaring(20000, 20000));
        long before = allocatedBytes();
        DataException e = assertThrows(DataException.class, () -> ImageFolder.decode(bomb, 3));
        long allocated = allocatedBytes() - before;
        assertTrue(e.getMessage().contains("declares 20000 x 20000 = 400000000 pixels, more than the limit of 89478485"),
                e.getMessage());
        assertTrue(allocated < 50_000_000, "allocated " + allocated + " bytes for a refused image");
        // A lower limit applies to ordinary images too.
        Path small = dir.resolve("small.png");
        ImageIO.write(new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB), "png", small.toFile());
        assertThrows(DataException.class, () -> ImageDecoder.decode(small, 1, 1000));
        assertEquals(40, ImageDecoder.decode(small, 1, 1200).width());
    }

    @Test
    void anIdxFileClaimingMillionsOfImagesFailsWithoutAllocatingThem() throws Exception {
        Path f = dir.resolve("bomb-images-idx3-ubyte");
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(f))) {
            out.writeInt(IdxImages.IMAGE_MAGIC);
            out.writeInt(2_700_000);
            out.writeInt(28);
            out.writeInt(28);
            out.write(new byte[784]);
        }
        assertTrue(Files.size(f) < 1000);
        long before = allocatedBytes();
        DataException e = assertThrows(DataException.class, () -> IdxImages.read(f, null));
        long allocated = allocatedBytes() - before;
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(allocated < 100_000_000, "allocated " + allocated + " bytes for an 800-byte file");
    }

    @Test
    void greyPngsAreReadFromTheirSamplesAt8And16Bits() throws Exception {
        BufferedImage g16 = new BufferedImage(2, 2, BufferedImage.TYPE_USHORT_GRAY);
        g16.getRaster().setSample(0, 0, 0, 32768);
        g16.getRaster().setSample(1, 0, 0, 65535);
        Path p16 = dir.resolve("g16.png");
        ImageIO.write(g16, "png", p16.toFile());
        DecodedImage d = ImageFolder.decode(p16, 1);
        assertEquals(32768 / 65535.0, d.at(0, 0, 0), 1e-6);   // not 0.737, as a gamma-encoding getRGB gives
        assertEquals(1.0, d.at(0, 0, 1), 1e-6);
        assertEquals(0.0, d.at(0, 1, 0), 1e-6);
        BufferedImage g8 = new BufferedImage(2, 2, BufferedImage.TYPE_BYTE_GRAY);
        g8.getRaster().setSample(0, 0, 0, 128);
        Path p8 = dir.resolve("g8.png");
        ImageIO.write(g8, "png", p8.toFile());
        DecodedImage rgb = ImageFolder.decode(p8, 3);
        for (int c = 0; c < 3; c++) {
            assertEquals(128 / 255.0, rgb.at(c, 0, 0), 1e-6);
        }
        assertNull(rgb.damage());
    }
}

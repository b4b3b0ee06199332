package semaim.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where a result came from (Tribuo style): project version, git commit when the code runs from a checkout, Java
 * and libtorch versions, host, time, and the dataset. Stored in every checkpoint and result file.
 */
public final class Provenance {
    private Provenance() {}

    /** The project version from the build ({@code semaim-version.properties}), or "unknown". */
    public static String version() {
        try (InputStream in = Provenance.class.getResourceAsStream("/semaim-version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The commit of the git checkout the classes were loaded from, or null when not in a checkout. */
    public static String gitCommit() {
        try {
            Path here = Path.of(Provenance.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path dir = here; dir != null; dir = dir.getParent()) {
                Path git = dir.resolve(".git");
                if (Files.isDirectory(git)) {
                    return resolveHead(git);
                }
            }
        } catch (Exception e) {
            // Provenance is best effort: a jar outside a checkout has no commit.
        }
        return null;
    }

    private static String resolveHead(Path git) throws IOException {
        String head = Files.readString(git.resolve("HEAD"), StandardCharsets.UTF_8).trim();
        if (!head.startsWith("ref: ")) {
            return head;
        }
        String ref = head.substring(5);
        Path loose = git.resolve(ref);
        if (Files.isRegularFile(loose)) {
            return Files.readString(loose, StandardCharsets.UTF_8).trim();
        }
        Path packed = git.resolve("packed-refs");
        if (Files.isRegularFile(packed)) {
            for (String line : Files.readAllLines(packed, StandardCharsets.UTF_8)) {
                if (line.endsWith(" " + ref)) {
                    return line.substring(0, line.indexOf(' '));
                }
            }
        }
        return null;
    }

    /** A provenance record for a run on {@code dataset} ({@code images} images). */
    public static Map<String, String> of(String dataset, int images) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("semaim_version", version());
        String commit = gitCommit();
        if (commit != null) {
            m.put("git_commit", commit);
        }
        m.put("java_version", System.getProperty("java.version"));
        m.put("libtorch", "org.bytedeco:pytorch 2.10.0-1.5.13");
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        m.put("created", Instant.now().toString());
        m.put("dataset", dataset);
        m.put("dataset_images", Integer.toString(images));
        return m;
    }
}

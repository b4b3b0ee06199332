package semaim.io;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * One writer per run folder: an exclusive operating-system lock on {@code RUN/.semaim.lock}, whose text names the
 * holder ({@code pid host start-time}). The operating system drops the lock when its process dies, however it dies,
 * so a lock file left by a killed run is recognised as stale (the lock is free but the file still names a holder):
 * it is taken over with a warning. The file is removed when the lock is closed.
 */
public final class RunLock implements AutoCloseable {
    public static final String FILE = ".semaim.lock";

    /** The folder is locked by another process (or by this one, for another run). */
    public static final class BusyException extends IOException {
        private static final long serialVersionUID = 1L;

        BusyException(String message) {
            super(message);
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Creates {@code folder} if needed and locks it; fails at once with {@link BusyException} naming the holder
     * when another process has it. A stale lock of a dead process is reported through {@code warn}.
     */
    public static RunLock acquire(Path folder, Consumer<String> warn) throws IOException {
        Files.createDirectories(folder);
        Path file = folder.resolve(FILE);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            ch.close();
            throw new BusyException(folder + " is in use by another run in this process");
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            String holder = read(ch);
            ch.close();
            throw new BusyException(folder + " is in use by semaim process " + describe(holder)
                    + "; wait for it to finish or choose another --output");
        }
        String previous = read(ch);
        if (!previous.isBlank()) {
            warn.accept("taking over the lock of " + folder + " left by process " + describe(previous)
                    + ", which is no longer running");
        }
        byte[] me = (ProcessHandle.current().pid() + " " + hostName() + " " + Instant.now() + "\n")
                .getBytes(StandardCharsets.UTF_8);
        ch.truncate(0);
        ch.write(ByteBuffer.wrap(me), 0);
        ch.force(true);
        return new RunLock(file, ch, lock);
    }

    private static String read(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(ch.size(), 4096));
        ch.read(b, 0);
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
    }

    /** "PID 123 on host h (since t)" from the lock file's text. */
    private static String describe(String text) {
        String[] parts = text.split(" ");
        if (parts.length < 3) {
            return "(unknown: the lock file is empty)";
        }
        return parts[0] + " on " + parts[1] + " (since " + parts[2] + ")";
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            String h = System.getenv("HOSTNAME");
            return h != null ? h : "unknown-host";
        }
    }

    /** Removes the lock file and releases the lock. */
    @Override
    public void close() throws IOException {
        try {
            channel.truncate(0);
            Files.deleteIfExists(file);
        } finally {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }
}

package semaim.cli;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** One readable line for an exception, in place of Java's class names ({@code NoSuchFileException: /x}). */
final class IoMessages {
    private IoMessages() {}

    static String describe(Throwable e) {
        if (e instanceof FileAlreadyExistsException f) {
            return f.getFile() + " already exists and is not a folder";
        }
        if (e instanceof NotDirectoryException f) {
            return f.getFile() + " is not a folder";
        }
        if (e instanceof NoSuchFileException f) {
            return f.getFile() + " does not exist" + (f.getReason() != null ? " (" + f.getReason() + ")" : "");
        }
        if (e instanceof AccessDeniedException f) {
            return "permission denied: " + f.getFile();
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getFile() + ": " + f.getReason();
        }
        String m = e.getMessage();
        return m != null && !m.isBlank() ? m : e.getClass().getSimpleName();
    }
}

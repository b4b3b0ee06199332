package semaim.cli;

import java.io.IOException;
import java.util.concurrent.Callable;

import semaim.data.DataException;
import semaim.util.TrainingException;

/** Maps failures of a command body to one-line messages and exit codes. */
final class CommandErrors {
    private CommandErrors() {}

    interface Body {
        int run() throws Exception;
    }

    static int guard(String command, Body body) {
        try {
            return body.run();
        } catch (DataException e) {
            return fail(command, ExitCodes.DATA, e.getMessage());
        } catch (TrainingException e) {
            return fail(command, ExitCodes.TRAINING, e.getMessage());
        } catch (IllegalArgumentException e) {
            return fail(command, ExitCodes.INVALID_CONFIG, e.getMessage());
        } catch (IOException e) {
            return fail(command, ExitCodes.IO, e.getMessage());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static int fail(String command, int code, String message) {
        System.err.println("semaim " + command + ": error: " + message);
        return code;
    }

    /** What every evaluation command implements (picocli calls {@code call()} for the exit code). */
    interface Command extends Callable<Integer> {}
}

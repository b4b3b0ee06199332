package semaim.cli;

import java.io.IOException;
import java.util.concurrent.Callable;

import semaim.data.DataException;
import semaim.io.DamagedWeightsException;
import semaim.io.ResumeException;
import semaim.io.RunLock;
import semaim.torch.Distributed;
import semaim.torch.NativeLibraryException;
import semaim.util.NonFiniteException;
import semaim.util.TrainingException;

/**
 * Maps failures of a command body to one-line messages and exit codes. A user-caused failure prints one line and no
 * stack trace; set the environment variable {@code SEMAIM_DEBUG=1} to see the trace as well. Anything else is a bug
 * and propagates with its trace (picocli's exit code 1).
 */
final class CommandErrors {
    private CommandErrors() {}

    interface Body {
        int run() throws Exception;
    }

    static int guard(String command, Body body) {
        try {
            return body.run();
        } catch (DataException e) {
            return fail(command, ExitCodes.DATA, e);
        } catch (ResumeException | DamagedWeightsException e) {
            return fail(command, ExitCodes.RESUME, e);
        } catch (TrainingException e) {
            return fail(command, ExitCodes.TRAINING, e);
        } catch (NonFiniteException e) {
            return fail(command, ExitCodes.NON_FINITE, e);
        } catch (RunLock.BusyException e) {
            return fail(command, ExitCodes.BUSY, e);
        } catch (NativeLibraryException e) {
            return fail(command, ExitCodes.NATIVE_LIBRARIES, e);
        } catch (Distributed.PeerFailureException e) {
            return fail(command, ExitCodes.PEER_FAILED, e);
        } catch (IllegalArgumentException e) {
            return fail(command, ExitCodes.INVALID_CONFIG, e);
        } catch (IOException e) {
            return fail(command, ExitCodes.IO, e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int fail(String command, int code, Exception e) {
        System.err.println("semaim " + command + ": error: " + IoMessages.describe(e));
        if (System.getenv("SEMAIM_DEBUG") != null) {
            e.printStackTrace();
        }
        return code;
    }

    /** What every command implements (picocli calls {@code call()} for the exit code). */
    interface Command extends Callable<Integer> {}
}

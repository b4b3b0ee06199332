package semaim.train;

import java.util.ArrayList;

/** Lets tests in other packages reuse the tiny training setup of {@link ResumeTest}. */
public final class ResumeTestAccess {
    private ResumeTestAccess() {}

    public static PretrainConfig tiny(String data, long maxSteps) {
        return ResumeTest.tiny(data, maxSteps);
    }

    public static Pretrainer.Listener quiet() {
        return ResumeTest.quiet(new ArrayList<>());
    }
}

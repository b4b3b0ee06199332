package semaim.order;

import java.util.List;
import java.util.Locale;


/** Orders by name, for configs and the command line. */
public final class Orders {
    /** The accepted names, in the order of Table 1 and then the extras. */
    public static final List<String> NAMES = List.of("raster", "stochastic", "similarity", "semantic",
            "semantic-reference", "snake", "centre-out", "attention-guided", "multi-centre");

    private Orders() {}

    /**
     * The order called {@code name}: {@code semantic} is the paper's (filter, lambda 0.01),
     * {@code semantic-reference} the released code's (no filter, lambda 1e-3).
     */
    public static PatchOrder byName(String name, SimilarityKind kind) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "raster":
                return new RasterOrder();
            case "snake":
                return new SnakeOrder();
            case "stochastic":
                return new StochasticOrder();
            case "centre-out":
            case "center-out":   // the spelling of semaim 0.1
                return new CentreOutOrder();
            case "similarity":
                return new SimilarityOrder(kind);
            case "semantic":
                return new SemanticAwareOrder(kind, true, 0.01);
            case "semantic-reference":
                return new SemanticAwareOrder(kind, false, 1e-3);
            case "attention-guided":
                return new AttentionGuidedOrder(kind, 3);
            case "multi-centre":
                return new MultiCentreSemanticOrder(kind, 2, MultiCentreSemanticOrder.AUTO_SEPARATION, true, 0.01);
            default:
                throw new IllegalArgumentException("unknown order '" + name + "'; known: " + String.join(", ", NAMES));
        }
    }
}

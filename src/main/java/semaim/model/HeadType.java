package semaim.model;

/** The prediction head after the decoder's final LayerNorm (Eq. 11). */
public enum HeadType {
    /** timm {@code Mlp(D, 4D, out)}: Linear, exact GELU, Linear. The paper's Eq. 11 and the reference default. */
    MLP,
    /** One Linear(D, out): the reference's {@code prediction_head_type='LINEAR'}. */
    LINEAR
}

package semaim.model;

import org.bytedeco.pytorch.Tensor;

/**
 * A frozen network whose tokens are the feature target (and, by default, the source of the semantic order):
 * OpenAI CLIP's visual tower ({@link ClipTeacher}), a timm-named ViT such as DINO's ({@link VisionTransformer}), or
 * the student's own moving average ({@link EmaTeacher}). It never trains and is never saved with the student.
 */
public interface Teacher {
    /** (B, C, H, W) images, normalised for this teacher -> (B, T = 1 + N, F) tokens, CLS first. */
    Tensor tokens(Tensor images);

    /** F, the width of a token (the student's head predicts this many values per patch). */
    int tokenDim();

    /** Puts the teacher's weights on {@code device}. */
    void moveTo(org.bytedeco.pytorch.Device device);
}

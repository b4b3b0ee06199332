package semaim.target;

/** Distance between a predicted and a target patch (Eq. 12 uses L2; the reference also offers L1). */
public enum LossType {
    L2,
    L1
}

package semaim.cli;

import java.nio.file.Path;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options shared by the evaluation commands. */
final class EvalOptions {
    @Option(names = "--checkpoint", paramLabel = "PATH",
            description = "Pre-training checkpoint folder, run folder (newest checkpoint) or model .safetensors.")
    Path checkpoint;

    @Option(names = "--model", paramLabel = "PRESET", defaultValue = "vit_nano_patch4_28",
            description = "Architecture without --checkpoint (a randomly initialised encoder). Default: ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--image-size", description = "Input size without --checkpoint (default: the preset's).")
    Integer imageSize;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder with train/ and val/ (or test/) class folders.")
    String data;

    @Option(names = "--train", paramLabel = "PATH", description = "Training split: IDX image file or image folder.")
    String train;

    @Option(names = "--test", paramLabel = "PATH", description = "Held-out split: IDX image file or image folder.")
    String test;

    @Option(names = "--channels", defaultValue = "3", description = "1 or 3 for image folders. Default: ${DEFAULT-VALUE}.")
    int channels;

    @Option(names = "--train-limit", defaultValue = "0", description = "Use only the first N training images (0 = all).")
    int trainLimit;

    @Option(names = "--test-limit", defaultValue = "0", description = "Use only the first N test images (0 = all).")
    int testLimit;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N. Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--seed", defaultValue = "0") long seed;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|bf16|fp16|auto",
            description = "Feature extraction in fp32 or under bf16/fp16 autocast (auto: fp16 on a GPU, bf16 where the CPU runs it natively). Default: ${DEFAULT-VALUE}.")
    String precision;

    @Option(names = "--output", paramLabel = "FILE", description = "Result JSON (default results/<command>-<date-time>.json).")
    Path output;

    @Mixin
    DistOptions dist;
}

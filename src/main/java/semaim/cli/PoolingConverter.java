package semaim.cli;

import picocli.CommandLine.ITypeConverter;
import semaim.api.Pooling;

/** {@code --pool}: cls, mean, concat or patches (also patch), in any case, as {@link Pooling#parse} reads them. */
final class PoolingConverter implements ITypeConverter<Pooling> {
    @Override
    public Pooling convert(String value) {
        return Pooling.parse(value);
    }
}

package dev.atelier.server;

/** Whole numbers of options, refused before anything is sent when out of range, in the option's own unit. */
final class Whole {
    private Whole() {
    }

    static long parse(String value, long min, long max, String what) {
        try {
            long v = dev.atelier.core.AsciiNumbers.parseLong(value);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new picocli.CommandLine.TypeConversionException("must be " + what + ", not '" + value + "'");
    }

    /** Seconds to wait: 1 or more. */
    static final class Seconds implements picocli.CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return parse(value, 1, 365L * 24 * 3600, "a whole number of seconds, 1 or more");
        }
    }

    /** Hours of a lease: 1 to 72, as the API's duration allows. */
    static final class Hours implements picocli.CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return (int) parse(value, 1, 72, "a whole number of hours from 1 to 72");
        }
    }
}

package dev.atelier.core.service;

import java.util.Arrays;

/** The last few durations of something (starts, stops), and their median: what the next one is expected to take. */
final class RecentDurations {
    private final long[] recent;
    private final long fallback;
    private int seen;

    /** Keeps the last {@code size}; before any, the median is {@code fallback}. */
    RecentDurations(int size, long fallback) {
        this.recent = new long[size];
        this.fallback = fallback;
    }

    synchronized void record(long ms) {
        if (ms >= 0) {
            recent[seen++ % recent.length] = ms;
        }
    }

    synchronized long median() {
        int n = Math.min(seen, recent.length);
        if (n == 0) {
            return fallback;
        }
        long[] sorted = Arrays.copyOf(recent, n);
        Arrays.sort(sorted);
        return sorted[n / 2];
    }
}

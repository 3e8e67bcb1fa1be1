import Glibc

/// Linux's `CLOCK_BOOTTIME`: monotonic, and it keeps counting while the process is stopped (SIGSTOP, a stall)
/// and while the machine is suspended, which `CLOCK_MONOTONIC` (Dispatch's clock) does not. A lease's deadline
/// is measured on it, so a runner that was asleep for a minute sees that a minute has passed.
public enum BootClock {
    /// Nanoseconds since the machine booted.
    public static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_BOOTTIME, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// `duration` in this clock's nanoseconds (negative durations count as zero).
    public static func nanoseconds(_ duration: Duration) -> UInt64 {
        UInt64(max(0, duration.seconds * 1e9))
    }
}

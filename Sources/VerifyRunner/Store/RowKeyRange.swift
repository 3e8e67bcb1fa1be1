/// The keys of one job's rows in `job_rows`: a row's `id` is its job's number × 2³² plus its `seq`,
/// so a job's rows are one contiguous range of the table's integer primary key, in input order.
///
/// A plain integer key lets SQLite append a million rows without a uniqueness probe of a composite
/// key per row; the range keeps every per-job query a single B-tree range scan.
struct RowKeyRange {
    /// The job's number (`jobs.number`); 0 matches no job.
    let job: Int

    /// The first possible key of the job (its `seq` 0).
    var first: Int { job << 32 }
    /// The last possible key of the job.
    var last: Int { first | 0xFFFF_FFFF }

    /// The key of the job's row `seq`.
    func id(seq: Int) -> Int { first | (seq & 0xFFFF_FFFF) }

    /// The `seq` of a key of this job.
    func seq(id: Int) -> Int { id & 0xFFFF_FFFF }
}

import ArgumentParser
import Foundation
import VerifyRunner

/// `verifyd submit FILE...`: copies files into `incoming/` atomically (hidden temporary name,
/// fsync, rename), so the daemon never reads half a file.
struct SubmitCommand: BlockingCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Copy job files into the spool's incoming folder, atomically.")

    @Argument(help: "CSV or JSONL job files.")
    var files: [String]

    @Option(name: .long, help: "The spool folder.")
    var spool: String = "./jobs"

    func runBlocking() throws {
        let layout = Spool(root: spool)
        try layout.prepare()
        for file in files {
            let name = (file as NSString).lastPathComponent
            guard SpoolScanner.isCandidate(name) else {
                throw CommandFailure("\(SpoolError.unsupportedExtension(path: file))")
            }
            let temporary = layout.incoming + "/." + name + ".part"
            try? FileManager.default.removeItem(atPath: temporary)
            do {
                try FileManager.default.copyItem(atPath: file, toPath: temporary)
                let handle = try FileHandle(forUpdating: URL(fileURLWithPath: temporary))
                try handle.synchronize()
                try handle.close()
            } catch {
                throw CommandFailure("cannot copy \(file) into \(layout.incoming): \(error.localizedDescription)")
            }
            let target = SpoolScanner.unusedPath(in: layout.incoming, name: name)
            guard rename(temporary, target) == 0 else {
                throw CommandFailure("\(SpoolError.moveFailed(from: temporary, to: target, errno: errno))")
            }
            print(target)
        }
    }
}

import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1, on a port the kernel picks, whose replies a test scripts.
///
/// One thread accepts; each connection gets its own thread doing blocking reads and writes (never
/// the cooperative pool). Connections are kept alive; request bodies must carry `Content-Length`.
/// The `script` decides, per request, whether to answer, to close the connection, or to stay
/// silent. Every request is also published on ``requests`` before it is answered, so a test can
/// wait for the server to have seen something without sleeping.
///
/// ```swift
/// let server = try ScriptedHTTPServer { _ in .respond(status: 200, body: Array("hi".utf8)) }
/// defer { server.stop() }
/// // send to server.url("/hello")
/// ```
final class ScriptedHTTPServer: Sendable {
    /// A request as the server parsed it.
    struct Request: Sendable, Equatable {
        /// `GET`, `POST`, …
        var method: String
        /// The request target: path and query.
        var target: String
        /// Header fields with lowercased names (last value wins).
        var headers: [String: String]
        /// The body (`Content-Length` bytes).
        var body: [UInt8]
    }

    /// What the server does with one request.
    enum Reply: Sendable {
        /// Answers with `status`, the given headers plus `Content-Length`, and `body`.
        case respond(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [])
        /// Closes the connection without answering.
        case closeConnection
        /// Never answers; the connection stays open until the client or ``stop()`` closes it.
        case noReply
    }

    /// A failed socket call while setting the server up.
    struct SocketError: Error, CustomStringConvertible {
        /// The call that failed.
        var call: String
        /// `errno` after the call.
        var code: Int32
        var description: String { "\(call) failed: \(String(cString: strerror(code)))" }
    }

    /// The sockets and counters shared by the threads.
    private struct State {
        /// The listening socket until the accept thread closes it.
        var listener: Int32?
        /// Open connection sockets.
        var connections: Set<Int32> = []
        /// Connections accepted so far.
        var acceptedConnections = 0
        /// Set once by ``stop()``.
        var isStopped = false
    }

    /// The port the server listens on.
    let port: Int
    /// Every request, in arrival order, published before its reply is written.
    let requests: AsyncStream<Request>
    private let requestsContinuation: AsyncStream<Request>.Continuation
    private let script: @Sendable (Request) -> Reply
    private let state: Mutex<State>

    /// Starts listening and accepting.
    ///
    /// - Parameter script: Decides the reply to each request; called on the connection's thread.
    /// - Throws: ``SocketError`` if the socket cannot be set up.
    init(script: @escaping @Sendable (Request) -> Reply) throws {
        let listener = try Self.boundSocket()
        guard listen(listener, 512) == 0 else {
            let error = SocketError(call: "listen", code: errno)
            close(listener)
            throw error
        }
        port = try Self.localPort(of: listener)
        self.script = script
        (requests, requestsContinuation) = AsyncStream.makeStream()
        state = Mutex(State(listener: listener))
        Thread { [self] in acceptConnections(on: listener) }.start()
    }

    /// An `http://127.0.0.1:<port>` URL for `target`.
    func url(_ target: String) -> String { "http://127.0.0.1:\(port)\(target)" }

    /// How many connections the server has accepted.
    var acceptedConnections: Int { state.withLock { $0.acceptedConnections } }

    /// Stops accepting, ends every connection and finishes ``requests``. Does not block; the
    /// threads close their sockets as they notice.
    func stop() {
        state.withLock { state in
            guard !state.isStopped else { return }
            state.isStopped = true
            if let listener = state.listener { shutdown(listener, Int32(SHUT_RDWR)) }
            for connection in state.connections { shutdown(connection, Int32(SHUT_RDWR)) }
        }
        requestsContinuation.finish()
    }

    /// A port on 127.0.0.1 where nothing listens (it was free a moment ago), for "connection refused".
    static func unusedPort() throws -> Int {
        let socket = try boundSocket()
        defer { close(socket) }
        return try localPort(of: socket)
    }

    /// A TCP socket bound to 127.0.0.1 on a kernel-chosen port.
    private static func boundSocket() throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SocketError(call: "socket", code: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else {
            let error = SocketError(call: "bind", code: errno)
            close(descriptor)
            throw error
        }
        return descriptor
    }

    /// The local port a bound socket got.
    private static func localPort(of descriptor: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let status = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard status == 0 else { throw SocketError(call: "getsockname", code: errno) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Accepts until ``stop()`` shuts the listener down, starting one thread per connection.
    private func acceptConnections(on listener: Int32) {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                break
            }
            let admitted = state.withLock { state in
                guard !state.isStopped else { return false }
                state.connections.insert(connection)
                state.acceptedConnections += 1
                return true
            }
            guard admitted else {
                close(connection)
                continue
            }
            Thread { [self] in serve(connection) }.start()
        }
        state.withLock { state in
            close(listener)
            state.listener = nil
        }
    }

    /// Reads requests off one connection and carries out the script's replies until the connection
    /// ends.
    private func serve(_ connection: Int32) {
        defer {
            state.withLock { state in
                state.connections.remove(connection)
                close(connection)
            }
        }
        var reader = RequestReader(connection: connection)
        while let request = reader.next() {
            requestsContinuation.yield(request)
            switch script(request) {
            case .respond(let status, let headers, let body):
                guard Self.write(Self.serialize(status: status, headers: headers, body: body), to: connection) else {
                    return
                }
            case .closeConnection:
                return
            case .noReply:
                continue
            }
        }
    }

    /// The bytes of a response.
    private static func serialize(status: Int, headers: [(name: String, value: String)], body: [UInt8]) -> [UInt8] {
        var head = "HTTP/1.1 \(status) Scripted\r\nContent-Length: \(body.count)\r\n"
        for header in headers { head += "\(header.name): \(header.value)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// Writes all of `bytes`; `false` if the connection broke.
    private static func write(_ bytes: [UInt8], to connection: Int32) -> Bool {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return true }
            var offset = 0
            while offset < buffer.count {
                let sent = send(connection, base + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if sent < 0 && errno == EINTR { continue }
                guard sent > 0 else { return false }
                offset += sent
            }
            return true
        }
    }
}

/// Splits the byte stream of one connection into requests.
private struct RequestReader {
    /// The connection socket.
    let connection: Int32
    /// Bytes read and not yet consumed.
    private var buffer: [UInt8] = []

    /// Reads from `connection`.
    init(connection: Int32) {
        self.connection = connection
    }

    /// The next complete request, or `nil` once the connection has ended.
    mutating func next() -> ScriptedHTTPServer.Request? {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            if let request = parseBufferedRequest() { return request }
            let count = recv(connection, &chunk, chunk.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            buffer.append(contentsOf: chunk[..<count])
        }
    }

    /// Removes and returns the first request if ``buffer`` holds all of it.
    private mutating func parseBufferedRequest() -> ScriptedHTTPServer.Request? {
        guard let headEnd = buffer.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let lines = String(decoding: buffer[..<headEnd.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                .trimmingCharacters(in: .whitespaces)
        }
        let bodyLength = headers["content-length"].flatMap { Int($0) } ?? 0
        guard buffer.count - headEnd.upperBound >= bodyLength else { return nil }
        let body = Array(buffer[headEnd.upperBound..<(headEnd.upperBound + bodyLength)])
        buffer.removeFirst(headEnd.upperBound + bodyLength)
        return ScriptedHTTPServer.Request(
            method: requestLine.first.map(String.init) ?? "",
            target: requestLine.dropFirst().first.map(String.init) ?? "", headers: headers, body: body)
    }
}

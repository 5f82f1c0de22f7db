import ApusCore
import NIOCore

/// Elasticsearch's bulk answer (`took`, `errors`, and an outcome per item in the request's
/// order), written straight into bytes: its shape is fixed, and encoding a thousand items
/// through Foundation's encoder took a third of the route's CPU (`bench/logs.sh`).
struct BulkAnswer {
    /// What became of one item.
    enum Outcome {
        /// Stored: its id and sequence number in this answer.
        case created(id: String, sequence: Int)
        /// Refused: Elasticsearch's status, error type and reason.
        case refused(status: Int, type: String, reason: String)
    }

    private(set) var errors = false
    private var body = ByteBuffer()

    init(items: Int) {
        // A created item takes about 200 bytes.
        body.reserveCapacity(64 + items * 200)
    }

    mutating func append(action: String, index: String, _ outcome: Outcome) {
        if body.readableBytes > 0 { body.writeInteger(UInt8(ascii: ",")) }
        body.writeStaticString("{")
        body.writeJSONStringLiteral(action)
        body.writeStaticString(#":{"_index":"#)
        body.writeJSONStringLiteral(index)
        switch outcome {
        case .created(let id, let sequence):
            body.writeStaticString(#","_id":"#)
            body.writeJSONStringLiteral(id)
            body.writeStaticString(#","_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":"#)
            body.writeString(String(sequence))
            body.writeStaticString(#","_primary_term":1,"status":201}}"#)
        case .refused(let status, let type, let reason):
            errors = true
            body.writeStaticString(#","status":"#)
            body.writeString(String(status))
            body.writeStaticString(#","error":{"type":"#)
            body.writeJSONStringLiteral(type)
            body.writeStaticString(#","reason":"#)
            body.writeJSONStringLiteral(reason)
            body.writeStaticString("}}}")
        }
    }

    /// The whole answer, `took` in milliseconds.
    func rendered(tookMilliseconds took: Int64) -> ByteBuffer {
        var answer = ByteBuffer()
        answer.reserveCapacity(body.readableBytes + 48)
        answer.writeStaticString(#"{"took":"#)
        answer.writeString(String(took))
        answer.writeStaticString(errors ? #","errors":true,"items":["# : #","errors":false,"items":["#)
        answer.writeImmutableBuffer(body)
        answer.writeStaticString("]}")
        return answer
    }
}

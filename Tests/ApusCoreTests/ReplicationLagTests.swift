import ApusCore
import Foundation
import Testing

@Suite struct ReplicationLagTests {
    @Test func walPositionsParseCompareAndPrintAsPostgreSQLDoes() throws {
        let position = try #require(WALPosition("16/B374D848"))
        #expect(position.value == 0x16_B374_D848)
        #expect(position.description == "16/B374D848")
        #expect(WALPosition("0/0")?.value == 0)
        #expect(try #require(WALPosition("1/0")) > #require(WALPosition("0/FFFFFFFF")))
        #expect(WALPosition("a/b")?.description == "A/B")
        for bad in ["", "/", "16", "16/", "/B3", "G/1", "1/2/3", "123456789/0", " 1/2", "+1/2", "1/-2"] {
            #expect(WALPosition(bad) == nil, "\(bad) parsed")
        }
    }

    @Test func aReplicaPastEveryNotedPositionIsCurrentEvenWhileThePrimaryIsIdle() {
        let start = Date(timeIntervalSince1970: 1_000)
        var lag = ReplicationLag(horizon: 60)
        lag.primary(at: WALPosition(100), time: start)
        // The primary writes nothing for 30 s: a replica at its position stays current.
        lag.primary(at: WALPosition(100), time: start + 30)
        #expect(lag.seconds(behind: WALPosition(100), at: start + 30) == 0)
        #expect(lag.seconds(behind: WALPosition(150), at: start + 30) == 0)
    }

    @Test func aReplicaIsAsOldAsTheFirstPositionItHasNotReached() {
        let start = Date(timeIntervalSince1970: 1_000)
        var lag = ReplicationLag(horizon: 60)
        lag.primary(at: WALPosition(100), time: start)
        lag.primary(at: WALPosition(200), time: start + 1)
        lag.primary(at: WALPosition(300), time: start + 2)
        #expect(lag.seconds(behind: WALPosition(300), at: start + 5) == 0)
        #expect(lag.seconds(behind: WALPosition(250), at: start + 5) == 3)
        #expect(lag.seconds(behind: WALPosition(100), at: start + 5) == 4)
        // Behind the first position ever noted: of unknown age, not "5 s".
        #expect(lag.seconds(behind: WALPosition(50), at: start + 5) == nil)
    }

    @Test func beforeAnyPositionIsNotedEveryReplicaIsOfUnknownAge() {
        let lag = ReplicationLag(horizon: 60)
        #expect(lag.seconds(behind: WALPosition(.max), at: Date()) == nil)
    }

    @Test func positionsOlderThanTheHorizonAreForgottenButAStuckReplicaStaysOld() throws {
        let start = Date(timeIntervalSince1970: 1_000)
        var lag = ReplicationLag(horizon: 10)
        for second in 0..<100 {
            lag.primary(at: WALPosition(UInt64(100 + second)), time: start + Double(second))
        }
        // A replica stuck at the first position is behind the oldest kept one, which is about
        // the horizon old: it reads at least that old, never current.
        #expect(try #require(lag.seconds(behind: WALPosition(100), at: start + 99)) >= 10)
        #expect(lag.seconds(behind: WALPosition(199), at: start + 99) == 0)
    }
}

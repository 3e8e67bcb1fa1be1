import Foundation
import NIOHTTP1
import Testing

@testable import VerifySandbox

@Suite struct V2AttemptsRoutesTests {
    @Test func anAttemptHasTwiliosFieldsAndIsFetchedByItsSid() async throws {
        try await withSandbox { sandbox in
            let started = try await sandbox.v2Start("+12025550189")
            let attemptSid = try #require(started.sendCodeAttempts?.first?.attemptSid)
            let page: V2AttemptsPageBody = try await sandbox.attempts("/v2/Attempts").decode()
            let base = "http://127.0.0.1:\(sandbox.server.port)"
            let expected = V2AttemptBody(
                sid: attemptSid, accountSid: sandbox.configuration.accountSid,
                serviceSid: sandbox.configuration.serviceSid, verificationSid: started.sid,
                dateCreated: "2025-06-15T15:06:40Z", dateUpdated: "2025-06-15T15:06:40Z",
                conversionStatus: "unconverted", channel: "sms", price: .init(value: nil, currency: "USD"),
                channelData: ["to": "+12025550189"], url: "\(base)/v2/Attempts/\(attemptSid)")
            #expect(page.attempts == [expected])
            #expect(page.meta.key == "attempts")
            #expect(page.meta.page == 0)
            #expect(page.meta.pageSize == 50)
            #expect(page.meta.url == "\(base)/v2/Attempts?PageSize=50&Page=0")
            #expect(page.meta.firstPageUrl == page.meta.url)
            #expect(page.meta.previousPageUrl == nil)
            #expect(page.meta.nextPageUrl == nil)

            let fetched = try await sandbox.attempts("/v2/Attempts/\(attemptSid)")
            #expect(fetched.status == 200, "\(fetched.text)")
            #expect(try fetched.decode(V2AttemptBody.self) == expected)
            let path = "/v2/Attempts/VL" + String(repeating: "0", count: 32)
            expectV2Error(
                try await sandbox.attempts(path), status: 404, code: 20404,
                message: "The requested resource \(path) was not found")
            #expect(try await sandbox.attempts("/v2/Attempts/\(started.sid)").status == 404)
            #expect(try await sandbox.attempts("/v2/Attempts/VLnot-a-sid").status == 404)
            #expect(sandbox.server.stats().attemptRequests == 5)
        }
    }

    @Test func pagingByNextPageURLIsExactWhileAttemptsArrive() async throws {
        try await withSandbox { sandbox in
            var sent: [String] = []
            for index in 0..<17 {
                let started = try await sandbox.v2Start("+1202555\(1000 + index)")
                sent += started.sendCodeAttempts?.map(\.attemptSid) ?? []
                if index % 5 == 0 { sandbox.clock.advance(by: 1) }
            }
            let after = "2025-06-15T15:06:40Z"
            var url: String? =
                "/v2/Attempts?VerifyServiceSid=\(sandbox.configuration.serviceSid)"
                + "&DateCreatedAfter=\(after)&PageSize=5"
            var listed: [String] = []
            var pages: [V2AttemptsPageBody] = []
            while let next = url {
                let response = try await sandbox.attempts(next)
                #expect(response.status == 200, "\(response.text)")
                let page: V2AttemptsPageBody = try response.decode()
                listed += page.attempts.map(\.sid)
                pages.append(page)
                _ = try await sandbox.v2Start("+1303555\(1000 + pages.count)")  // a new attempt between two pages
                url = page.meta.nextPageUrl
            }
            #expect(listed == sent.reversed())
            #expect(pages.map(\.meta.page) == [0, 1, 2, 3])
            #expect(pages.map(\.attempts.count) == [5, 5, 5, 2])
            let base =
                "http://127.0.0.1:\(sandbox.server.port)/v2/Attempts?DateCreatedAfter=2025-06-15T15%3A06%3A40Z"
                + "&VerifyServiceSid=\(sandbox.configuration.serviceSid)&PageSize=5"
            #expect(pages[1].meta.url.hasPrefix(base + "&Page=1&PageToken=PA"))
            #expect(pages[1].meta.firstPageUrl == base + "&Page=0")
            #expect(pages[0].meta.previousPageUrl == nil)

            let previousURL = try #require(pages[2].meta.previousPageUrl)
            #expect(previousURL.hasPrefix(base + "&Page=1&PageToken=PB"))
            let previous: V2AttemptsPageBody = try await sandbox.attempts(previousURL).decode()
            #expect(previous.attempts.map(\.sid) == pages[1].attempts.map(\.sid))
        }
    }

    @Test func withoutAPageTokenPageSkipsWholePages() async throws {
        try await withSandbox { sandbox in
            for index in 0..<7 { _ = try await sandbox.v2Start("+1202555\(1000 + index)") }
            let all: V2AttemptsPageBody = try await sandbox.attempts("/v2/Attempts").decode()
            let second: V2AttemptsPageBody = try await sandbox.attempts("/v2/Attempts?PageSize=3&Page=1").decode()
            #expect(second.attempts.map(\.sid) == Array(all.attempts[3..<6].map(\.sid)))
            #expect(second.meta.page == 1)
            #expect(second.meta.previousPageUrl != nil)
            let beyond: V2AttemptsPageBody = try await sandbox.attempts("/v2/Attempts?PageSize=3&Page=9").decode()
            #expect(beyond.attempts.isEmpty)
            #expect(beyond.meta.nextPageUrl == nil)
        }
    }

    @Test(arguments: [("5000", 1000), ("1000", 1000), ("1", 1), ("7", 7)])
    func pageSizeIsClampedToOneThousand(pageSize: String, expected: Int) async throws {
        try await withSandbox { sandbox in
            let page: V2AttemptsPageBody = try await sandbox.attempts("/v2/Attempts?PageSize=\(pageSize)").decode()
            #expect(page.meta.pageSize == expected)
            #expect(page.meta.url.contains("PageSize=\(expected)&"))
        }
    }

    @Test func filtersSelectByNumberCountryChannelStatusServiceVerificationAndTime() async throws {
        try await withSandbox { sandbox in
            let us = try await sandbox.v2Start("+12025550189")
            sandbox.clock.advance(by: 10)
            _ = try await sandbox.v2Start("+12025550189", channel: "call")
            let gb = try await sandbox.v2Start("+447911123456", channel: "call")
            sandbox.clock.advance(by: 10)
            _ = try await sandbox.v2Post(
                "VerificationCheck", "To=%2B447911123456&Code=\(VerificationCode.code(for: "+447911123456", length: 6))"
            )

            /// The numbers of the attempts a query lists, newest first.
            func numbers(_ query: String) async throws -> [String] {
                let response = try await sandbox.attempts("/v2/Attempts?\(query)")
                #expect(response.status == 200, "\(response.text)")
                return try response.decode(V2AttemptsPageBody.self).attempts.compactMap { $0.channelData["to"] }
            }
            #expect(try await numbers("") == ["+447911123456", "+12025550189", "+12025550189"])
            #expect(try await numbers("ChannelData.To=%2B12025550189") == ["+12025550189", "+12025550189"])
            #expect(try await numbers("ChannelData.To=%2B12025550188") == [])
            #expect(try await numbers("Country=gb") == ["+447911123456"])
            #expect(try await numbers("Country=US").count == 2)
            #expect(try await numbers("Channel=SMS") == ["+12025550189"])
            #expect(try await numbers("Channel=call").count == 2)
            #expect(try await numbers("Channel=whatsapp") == [])
            #expect(try await numbers("Status=CONVERTED") == ["+447911123456"])
            #expect(try await numbers("Status=unconverted").count == 2)
            #expect(try await numbers("VerifyServiceSid=\(sandbox.configuration.serviceSid)").count == 3)
            #expect(try await numbers("VerifyServiceSid=VA" + String(repeating: "1", count: 32)) == [])
            #expect(try await numbers("VerificationSid=\(us.sid)").count == 2)
            #expect(try await numbers("VerificationSid=\(gb.sid)&ChannelData.To=%2B12025550189") == [])
            #expect(try await numbers("DateCreatedAfter=2025-06-15T15:06:50Z").count == 2)
            #expect(try await numbers("DateCreatedBefore=2025-06-15T15:06:50Z").count == 3)
            #expect(try await numbers("DateCreatedBefore=2025-06-15T15:06:49Z") == ["+12025550189"])
            #expect(
                try await numbers("DateCreatedAfter=2025-06-15T15:06:41Z&DateCreatedBefore=2025-06-15T15:06:49Z")
                    == [])
            let converted: V2AttemptsPageBody = try await sandbox.attempts("/v2/Attempts?Status=converted").decode()
            #expect(converted.attempts.map(\.dateUpdated) == ["2025-06-15T15:07:00Z"])
            #expect(converted.attempts.map(\.dateCreated) == ["2025-06-15T15:06:50Z"])
        }
    }

    @Test(arguments: [
        ("DateCreatedAfter=2025-06-15", "DateCreatedAfter"),
        ("DateCreatedAfter=2025-13-01T00:00:00Z", "DateCreatedAfter"),
        ("DateCreatedBefore=2025-02-29T00:00:00Z", "DateCreatedBefore"),
        ("DateCreatedBefore=2025-06-15T15:06:40+00:00", "DateCreatedBefore"),
        ("Status=approved", "Status"),
        ("Channel=fax", "Channel"),
        ("Country=USA", "Country"),
        ("PageSize=0", "PageSize"),
        ("PageSize=many", "PageSize"),
        ("Page=-1", "Page"),
        ("PageToken=xyz", "PageToken"),
        ("PageToken=PA", "PageToken"),
        ("PageToken=PA-1", "PageToken"),
    ])
    func unreadableParametersAreInvalid(query: String, name: String) async throws {
        try await withSandbox { sandbox in
            expectV2Error(
                try await sandbox.attempts("/v2/Attempts?\(query)"), status: 400, code: 60200,
                message: "Invalid parameter: \(name)")
        }
    }

    @Test func summaryCountsConversionsWithItsFilters() async throws {
        try await withSandbox { sandbox in
            let empty: V2AttemptsSummaryBody = try await sandbox.attempts("/v2/Attempts/Summary").decode()
            #expect(
                empty
                    == V2AttemptsSummaryBody(
                        totalAttempts: 0, totalConverted: 0, totalUnconverted: 0, conversionRatePercentage: "0.00",
                        url: "http://127.0.0.1:\(sandbox.server.port)/v2/Attempts/Summary"))
            let approved = try await sandbox.v2Start("+12025550189")
            _ = try await sandbox.v2Start("+12025550189")
            _ = try await sandbox.v2Start("+12035550189", channel: "call")
            _ = try await sandbox.v2Start("+447911123456")
            #expect(try await sandbox.v2Post("Verifications/\(approved.sid)", "Status=approved").status == 200)

            /// The totals of a summary query: attempts, converted, unconverted and the rate.
            func summary(_ query: String) async throws -> V2AttemptsSummaryBody {
                try await sandbox.attempts("/v2/Attempts/Summary?\(query)").decode()
            }
            let all = try await summary("")
            #expect([all.totalAttempts, all.totalConverted, all.totalUnconverted] == [Int]([4, 2, 2]))
            #expect(all.conversionRatePercentage == "50.00")
            #expect(try await summary("DestinationPrefix=%2B1202").conversionRatePercentage == "100.00")
            #expect(try await summary("Country=US").totalAttempts == 3)
            #expect(try await summary("Country=US&Channel=sms").conversionRatePercentage == "100.00")
            #expect(try await summary("Channel=CALL").totalUnconverted == 1)
            let third = try await summary("Country=us&DestinationPrefix=%2B1")
            #expect(third.totalAttempts == 3)
            #expect(third.conversionRatePercentage == "66.67")
            #expect(try await summary("DateCreatedAfter=2025-06-15T15:06:41Z").totalAttempts == 0)
            #expect(try await summary("VerifyServiceSid=VA" + String(repeating: "2", count: 32)).totalAttempts == 0)
            expectV2Error(
                try await sandbox.attempts("/v2/Attempts/Summary?Channel=pigeon"), status: 400, code: 60200,
                message: "Invalid parameter: Channel")
        }
    }

    @Test func overTheLimitPerMinuteIs429WithRetryAfterUntilASlotFrees() async throws {
        try await withSandbox(configure: { $0.attemptsPerMinute = 3 }) { sandbox in
            for path in ["/v2/Attempts", "/v2/Attempts/Summary", "/v2/Attempts/VL" + String(repeating: "0", count: 32)]
            {
                #expect(try await sandbox.attempts(path).status != 429)
                sandbox.clock.advance(by: 10)
            }
            let refused = try await sandbox.attempts("/v2/Attempts")
            expectV2Error(refused, status: 429, code: 20429, message: "Too many requests")
            #expect(refused.headers.first(name: "retry-after") == "30")
            sandbox.clock.advance(by: 29.5)
            #expect(try await sandbox.attempts("/v2/Attempts/Summary").headers.first(name: "retry-after") == "1")
            sandbox.clock.advance(by: 0.5)
            #expect(try await sandbox.attempts("/v2/Attempts").status == 200)
            #expect(try await sandbox.attempts("/v2/Attempts").headers.first(name: "retry-after") == "10")

            let wrongCredentials = try await sandbox.client.send(
                TestRequest(
                    method: .GET, uri: "/v2/Attempts",
                    headers: SandboxFixture.basic(sandbox.configuration.accountSid, "wrong")))
            #expect(wrongCredentials.status == 401)
            #expect(try await sandbox.v2Start("+12025550189").status == "pending")
            let stats = sandbox.server.stats()
            #expect(stats.attemptRequests == 7)
            #expect(stats.responsesByStatus["429"] == 3)
        }
    }

    @Test func theDefaultLimitIsOneHundredRequestsPerMinute() async throws {
        #expect(SandboxConfiguration().attemptsPerMinute == 100)
        try await withSandbox { sandbox in
            let request = TestRequest(method: .GET, uri: "/v2/Attempts/Summary", headers: sandbox.v2Auth)
            let responses = try await sandbox.client.sendOnOneConnection(Array(repeating: request, count: 101))
            #expect(responses.prefix(100).allSatisfy { $0.status == 200 })
            #expect(responses.last?.status == 429)
            #expect(responses.last?.headers.first(name: "retry-after") == "60")
        }
    }

    @Test func injectedFaultsApplyToAttemptRequestsToo() async throws {
        try await withSandbox(configure: { $0.faults.rateLimited = 1 }) { sandbox in
            let refused = try await sandbox.attempts("/v2/Attempts")
            expectV2Error(refused, status: 429, code: 20429, message: "Too many requests")
            #expect(refused.headers.first(name: "retry-after") == "1")
            #expect(sandbox.server.stats().attemptRequests == 0, "a 429 fault comes before processing")
        }
        try await withSandbox(configure: { $0.faults.internalError = 1 }) { sandbox in
            let failed = try await sandbox.attempts("/v2/Attempts/Summary")
            #expect(failed.status == 500)
            #expect(sandbox.server.stats().attemptRequests == 1, "a 500 fault comes after processing")
        }
    }
}

@testable import ApusKit
import Testing

@Suite struct RecommendTests {
    /// Users in four taste groups, each liking mostly its group's items, with noise; each
    /// user's last five likes held out.
    static func planted(users: Int = 240, items: Int = 120, seed: UInt64 = 7) -> (train: SparseMatrix, heldOut: [Set<Int>]) {
        var generator = SplitMix64(seed: seed)
        var train: [SparseMatrix.Entry] = []
        var heldOut = [Set<Int>](repeating: [], count: users)
        for user in 0..<users {
            let group = user % 4
            var liked: [Int] = []
            for item in 0..<items {
                let inGroup = item % 4 == group
                if generator.unit() < (inGroup ? 0.35 : 0.03) { liked.append(item) }
            }
            liked.shuffle(using: &generator)
            for (index, item) in liked.enumerated() {
                if index < 5 { heldOut[user].insert(item) } else { train.append(.init(row: user, column: item, value: 1)) }
            }
        }
        return (SparseMatrix(rows: users, columns: items, entries: train), heldOut)
    }

    static func ndcg(_ model: (Int) -> [Float], _ data: (train: SparseMatrix, heldOut: [Set<Int>])) -> Double {
        let recommended = (0..<data.train.rowCount).map { user in
            TopItems.select(model(user), count: 10, excluding: Set(data.train.row(user).map(\.column))).map(\.index)
        }
        return RankingMetrics.evaluate(recommended: recommended, heldOut: data.heldOut, k: 10, catalogue: data.train.columnCount).ndcg
    }

    /// A matrix read back from its parts is the same matrix; parts that are not one are refused.
    @Test func aMatrixFromItsStoredPartsIsCheckedBeforeItIsUsed() {
        var generator = SplitMix64(seed: 3)
        let entries = (0..<20).flatMap { user in (0..<12).filter { _ in generator.unit() < 0.4 }.map { SparseMatrix.Entry(row: user, column: $0, value: 1) } }
        let matrix = SparseMatrix(rows: 20, columns: 12, entries: entries + [.init(row: 0, column: 11, value: 1), .init(row: 0, column: 10, value: 2)])
        let parts = (matrix.rowStarts, matrix.columns, matrix.values)
        #expect(SparseMatrix(rowCount: 20, columnCount: 12, rowStarts: parts.0, columns: parts.1, values: parts.2) == matrix)
        var descending = parts.1
        descending.swapAt(matrix.range(of: 0).lowerBound, matrix.range(of: 0).lowerBound + 1)
        #expect(SparseMatrix(rowCount: 20, columnCount: 12, rowStarts: parts.0, columns: descending, values: parts.2) == nil)
        #expect(SparseMatrix(rowCount: 20, columnCount: 5, rowStarts: parts.0, columns: parts.1, values: parts.2) == nil)
        #expect(SparseMatrix(rowCount: 19, columnCount: 12, rowStarts: parts.0, columns: parts.1, values: parts.2) == nil)
        #expect(SparseMatrix(rowCount: 20, columnCount: 12, rowStarts: parts.0, columns: parts.1, values: Array(parts.2.dropLast())) == nil)
    }

    /// The Gram matrix is YᵀY + λI whatever the number of threads, to the last bit.
    @Test func theGramMatrixIsTheSameOnAnyNumberOfThreads() {
        var generator = SplitMix64(seed: 5)
        let rows = 1_000, k = 7
        let matrix = DenseMatrix(rows: rows, columns: k, storage: (0..<rows * k).map { _ in Float(generator.unit()) - 0.5 })
        let one = matrix.gram(addingToDiagonal: 0.5)
        #expect(matrix.gram(addingToDiagonal: 0.5, threads: 3) == one)
        for (a, b) in [(0, 0), (2, 5), (6, 1)] {
            let expected = (0..<rows).reduce(0.0) { $0 + Double(matrix.storage[$1 * k + a]) * Double(matrix.storage[$1 * k + b]) } + (a == b ? 0.5 : 0)
            #expect(abs(Double(one[a * k + b]) - expected) < 1e-3, "\(a),\(b)")
        }
    }

    @Test func alsRecoversPlantedTastesFarBetterThanPopularity() {
        let data = Self.planted()
        let model = ImplicitALS.train(data.train, parameters: .init(factors: 8, regularization: 0.1, alpha: 10, iterations: 10, seed: 1), threads: 2)
        let als = Self.ndcg({ model.itemFactors.times(model.userFactors.row($0)) }, data)
        let popularity = Popularity.scores(data.train)
        let popular = Self.ndcg({ _ in popularity }, data)
        // The planted tastes themselves, as scores: the best any model can know from the data.
        let oracle = Self.ndcg({ user in (0..<data.train.columnCount).map { $0 % 4 == user % 4 ? 1 : 0 } }, data)
        #expect(als > 2 * popular, "ALS \(als), popularity \(popular)")
        #expect(als > 0.8 * oracle, "ALS \(als), the planted tastes \(oracle)")
    }

    @Test func theSameSeedTrainsTheSameModelOnOneThreadOrTwo() {
        let data = Self.planted(users: 40, items: 30)
        let parameters = ImplicitALS.Parameters(factors: 4, iterations: 3, seed: 9)
        let one = ImplicitALS.train(data.train, parameters: parameters, threads: 1)
        let two = ImplicitALS.train(data.train, parameters: parameters, threads: 2)
        #expect(one.userFactors == two.userFactors && one.itemFactors == two.itemFactors)
    }

    /// Folding a user in solves the same system a retrain's user step does: with as many CG
    /// steps as factors, that step is exact, and the two vectors agree.
    @Test func foldInEqualsARetrainsUserVector() {
        let data = Self.planted(users: 60, items: 40)
        var parameters = ImplicitALS.Parameters(factors: 6, regularization: 0.1, alpha: 5, iterations: 5, seed: 3)
        let model = ImplicitALS.train(data.train, parameters: parameters)
        parameters.conjugateGradientSteps = 50
        var users = model.userFactors
        ImplicitALS.step(data.train.mapValues { $0 * parameters.alpha }, solving: &users, against: model.itemFactors, parameters: parameters, threads: 1)
        let gram = model.itemFactors.gram(addingToDiagonal: parameters.regularization)
        for user in [0, 17, 59] {
            let folded = ImplicitALS.foldIn(data.train.row(user).map { ($0.column, $0.value) }, itemFactors: model.itemFactors, gram: gram, parameters: parameters)
            let retrained = users.row(user)
            let difference = zip(folded, retrained).map { abs($0 - $1) }.max() ?? 0
            let size = retrained.map(abs).max() ?? 1
            #expect(difference <= 1e-3 * max(size, 1e-3), "user \(user): \(folded) vs \(retrained)")
        }
    }

    @Test func easeRecoversPlantedTastesAndItsInverseIsOne() {
        let data = Self.planted()
        let ease = EASE.train(data.train, regularization: 20, threads: 2)
        let score = Self.ndcg({ ease.scores(for: data.train.row($0).map { ($0.column, $0.value) }) }, data)
        let popularity = Popularity.scores(data.train)
        #expect(score > 2 * Self.ndcg({ _ in popularity }, data), "EASE \(score)")
        // [[4, 2, 0], [2, 5, 1], [0, 1, 3]] times its inverse is the identity.
        let original: [Double] = [4, 2, 0, 2, 5, 1, 0, 1, 3]
        var inverse = original
        EASE.invertInPlace(&inverse, n: 3, threads: 2)
        for i in 0..<3 {
            for j in 0..<3 {
                let product = (0..<3).reduce(0.0) { $0 + original[i * 3 + $1] * inverse[$1 * 3 + j] }
                #expect(abs(product - (i == j ? 1 : 0)) < 1e-12)
            }
        }
    }

    /// Two items always had together: EASE's weight from one to the other is positive and its
    /// diagonal zero.
    @Test func easeWeighsItemsHadTogether() {
        let matrix = SparseMatrix(rows: 3, columns: 3, entries: [
            .init(row: 0, column: 0, value: 1), .init(row: 0, column: 1, value: 1),
            .init(row: 1, column: 0, value: 1), .init(row: 1, column: 1, value: 1), .init(row: 2, column: 2, value: 1),
        ])
        let ease = EASE.train(matrix, regularization: 1)
        // G = [[3, 2, 0], [2, 3, 0], [0, 0, 2]], P = G⁻¹ = [[0.6, -0.4, 0], [-0.4, 0.6, 0], [0, 0, 0.5]],
        // B[0][1] = 0.4 / 0.6.
        #expect(abs(ease.weights[1] - 2.0 / 3) < 1e-6)
        #expect(ease.weights[0] == 0 && ease.weights[2] == 0)
        #expect(ease.neighbours(of: 0, count: 5).map(\.index) == [1])
    }

    @Test func popularityCountsUsersNotTheirWeight() {
        let matrix = SparseMatrix(rows: 3, columns: 3, entries: [
            .init(row: 0, column: 0, value: 5), .init(row: 1, column: 1, value: 1), .init(row: 2, column: 1, value: 1),
        ])
        #expect(Popularity.scores(matrix) == [1, 2, 0])
    }

    @Test func itemKNNFindsItemsLikedByTheSameUsers() {
        // a and b always together; c alone; d with a once.
        let matrix = SparseMatrix(rows: 4, columns: 4, entries: [
            .init(row: 0, column: 0, value: 1), .init(row: 0, column: 1, value: 1),
            .init(row: 1, column: 0, value: 1), .init(row: 1, column: 1, value: 1),
            .init(row: 2, column: 2, value: 1),
            .init(row: 3, column: 0, value: 1), .init(row: 3, column: 3, value: 1),
        ])
        let knn = ItemKNN.train(matrix, neighbours: 5, threads: 2)
        // cos(a, b) = 2 / (√3 · √2); cos(a, d) = 1 / √3; c shares no user.
        #expect(knn.neighbours[0].map(\.index) == [1, 3])
        #expect(abs(knn.neighbours[0][0].score - 2 / (3.0.squareRoot() * 2.0.squareRoot()).float) < 1e-6)
        #expect(knn.neighbours[2].isEmpty)
        // A user with only b is recommended a first.
        let scores = knn.scores(for: [(1, 1)])
        #expect(TopItems.select(scores, count: 1, excluding: [1]).first?.index == 0)
    }

    @Test func rankingMetricsOnAHandCheckedCase() {
        let metrics = RankingMetrics.evaluate(recommended: [[1, 2, 3], [4, 5, 6], [7]], heldOut: [[2], [9, 4], []], k: 3, catalogue: 10)
        #expect(metrics.users == 2)
        #expect(abs(metrics.precision - (1.0 / 3 + 1.0 / 3) / 2) < 1e-12)
        #expect(abs(metrics.recall - (1 + 0.5) / 2) < 1e-12)
        // User 0: hit at rank 1 → (1/log2 3) / 1. User 1: hit at rank 0 → 1 / (1 + 1/log2 3).
        let expected = ((1 / 1.584962500721156) + 1 / (1 + 1 / 1.584962500721156)) / 2
        #expect(abs(metrics.ndcg - expected) < 1e-9)
        #expect(abs(metrics.coverage - 0.6) < 1e-12)
    }

    @Test func topItemsAreBestFirstWithoutExcludedOrNaN() {
        let picked = TopItems.select([0.5, .nan, 0.9, 0.7, 0.9, 0.1], count: 3, excluding: [3])
        #expect(picked.map(\.index) == [2, 4, 0])
    }

    @Test func sparseMatricesAddDuplicatesAndTransposeBack() {
        let matrix = SparseMatrix(rows: 2, columns: 3, entries: [
            .init(row: 1, column: 2, value: 1), .init(row: 0, column: 1, value: 2), .init(row: 1, column: 2, value: 3),
        ])
        #expect(matrix.row(1).map(\.value) == [4])
        #expect(matrix.transposed().transposed() == matrix)
        #expect(matrix.transposed().row(2).map(\.column) == [1])
    }

    @Test func choleskySolvesASymmetricSystem() {
        // [[4, 2], [2, 3]] x = [2, 1] → x = [0.5, 0].
        let x = LinearAlgebra.solveSymmetric([4, 2, 2, 3], [2, 1])
        #expect(x.map { abs($0[0] - 0.5) < 1e-6 && abs($0[1]) < 1e-6 } == true)
        #expect(LinearAlgebra.solveSymmetric([0, 0, 0, 0], [1, 1]) == nil)
    }
}

extension Double {
    fileprivate var float: Float { Float(self) }
}

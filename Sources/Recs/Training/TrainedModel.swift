import ApusKit
import Dispatch

/// A model fresh from training, able to score every item for a user of its matrix.
enum TrainedModel: Sendable {
    case als(ImplicitALS.Model)
    case itemKNN(ItemKNN)
    case ease(EASE)
    case popularity([Float])

    /// Trains `kind` on `matrix` with `request`'s parameters. `progress` is told of each
    /// finished iteration.
    static func train(
        _ request: TrainingRequest, on matrix: SparseMatrix, threads: Int, progress: @escaping (Int) -> Void = { _ in }
    ) -> TrainedModel {
        switch request.model {
        case .als:
            return .als(ImplicitALS.train(matrix, parameters: request.alsParameters, threads: threads, progress: progress))
        case .itemKNN:
            return .itemKNN(ItemKNN.train(matrix, neighbours: request.resolved.neighbours ?? 50, threads: threads))
        case .ease:
            return .ease(EASE.train(matrix, regularization: request.resolved.regularization ?? 250, threads: threads))
        case .popularity:
            return .popularity(Popularity.scores(matrix))
        }
    }

    /// Every item's score for `user`, whose row in the training matrix is `history`.
    func scores(user: Int, history: [(column: Int, value: Float)]) -> [Float] {
        switch self {
        case .als(let model):
            return model.itemFactors.times(model.userFactors.row(user))
        case .itemKNN(let knn):
            return knn.scores(for: history.map { ($0.column, $0.value) })
        case .ease(let ease):
            return ease.scores(for: history.map { ($0.column, $0.value) })
        case .popularity(let scores):
            return scores
        }
    }

    /// Each user's top `count` items, the items of the user's row excluded, on `threads` threads.
    func topItems(_ matrix: SparseMatrix, count: Int, threads: Int) -> [[ScoredItem]] {
        let lists = RowSlots<[ScoredItem]>(count: matrix.rowCount, initial: [])
        let threads = max(1, min(threads, matrix.rowCount))
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for user in stride(from: thread, to: matrix.rowCount, by: threads) {
                let history = matrix.row(user)
                let seen = Set(history.map(\.column))
                lists.set(user, TopItems.select(scores(user: user, history: history), count: count, excluding: seen))
            }
        }
        return lists.all
    }
}

/// Popularity: each item scored by the weight of the users who interacted with it. It needs no
/// history from the user, so it answers for users and items never seen (cold start) and is the
/// floor every other model must beat.
public enum Popularity {
    /// One score per item: the sum over users of each user's weight for it, capped at one
    /// interaction's worth per user so a single heavy user cannot make an item popular.
    public static func scores(_ userItems: SparseMatrix) -> [Float] {
        var scores = [Float](repeating: 0, count: userItems.columnCount)
        for index in 0..<userItems.entryCount where userItems.values[index] > 0 {
            scores[Int(userItems.columns[index])] += min(userItems.values[index], 1)
        }
        return scores
    }
}

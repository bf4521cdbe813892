import Descent
import Foundation
import Testing

// Issue 7, item 6: properties over seeded random problems, checked against plain loops
// written here (never against the engine itself).

/// A seeded generator for property tests (SplitMix64; independent of the engine's).
struct PropertyRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    /// Roughly normal (sum of uniforms), enough for test data.
    mutating func normal() -> Double { (0..<6).map { _ in uniform() }.reduce(0, +) - 3 }
}

/// A random regression problem: n × d features with column scales spread over `spread`
/// decades (so the condition number varies), and targets from a random linear model plus noise.
func propertyProblem(seed: UInt64, n: Int, d: Int, spread: Double) -> (rows: [[Double]], y: [Double]) {
    var random = PropertyRandom(seed: seed)
    let scales = (0..<d).map { j in pow(10, spread * (Double(j) / Double(max(d - 1, 1)) - 0.5)) }
    let w = (0..<d).map { _ in random.normal() }
    let rows = (0..<n).map { _ in (0..<d).map { j in random.normal() * scales[j] + 0.3 } }
    let y = rows.map { row in zip(row, w).map(*).reduce(0, +) + 1.5 + 0.01 * random.normal() }
    return (rows, y)
}

@Suite("Properties: least squares")
struct PropertyLeastSquaresTests {
    static let cases: [(seed: UInt64, n: Int, d: Int, spread: Double)] = [
        (1, 50, 3, 0), (2, 200, 8, 2), (3, 31, 5, 4), (4, 500, 16, 1), (5, 64, 12, 6), (6, 9, 2, 3),
    ]

    @Test("[X 1]ᵀ([X 1]θ − y) = 0 within eps × cond", arguments: LeastSquaresMethod.allCases, 0..<cases.count)
    func normalEquations(_ method: LeastSquaresMethod, _ index: Int) throws {
        let c = Self.cases[index]
        let (rows, y) = propertyProblem(seed: c.seed, n: c.n, d: c.d, spread: c.spread)
        let solution = try LeastSquaresSolver.solve(Dataset(features: Matrix(rows), targets: Vector(y)), method: method)
        let theta = solution.weights.array + [solution.bias]
        // Plain loops: r = Aθ − y, g = Aᵀr, with A = [X 1].
        let a = rows.map { $0 + [1] }
        let r = zip(a, y).map { row, target in zip(row, theta).map(*).reduce(0, +) - target }
        let g = (0...c.d).map { j in zip(a, r).map { $0[j] * $1 }.reduce(0, +) }
        let normA = sqrt(a.flatMap { $0 }.map { $0 * $0 }.reduce(0, +))
        let normTheta = sqrt(theta.map { $0 * $0 }.reduce(0, +))
        let normY = sqrt(y.map { $0 * $0 }.reduce(0, +))
        let cond = max(solution.conditionNumber.isFinite ? solution.conditionNumber : 1, 1)
        let bound = 64 * Double(c.d + 1) * Double.ulpOfOne * cond * normA * (normA * normTheta + normY)
        let normG = sqrt(g.map { $0 * $0 }.reduce(0, +))
        #expect(normG <= bound, "‖Aᵀr‖ = \(normG) > \(bound) (cond \(cond), method \(solution.method))")
    }

    @Test("the methods agree within eps × cond² on full-rank problems", arguments: 0..<cases.count)
    func methodsAgree(_ index: Int) throws {
        let c = Self.cases[index]
        let (rows, y) = propertyProblem(seed: c.seed, n: c.n, d: c.d, spread: c.spread)
        let data = Dataset(features: Matrix(rows), targets: Vector(y))
        let svd = try LeastSquaresSolver.solve(data, method: .svd)
        let qr = try LeastSquaresSolver.solve(data, method: .qr)
        let cond = svd.conditionNumber
        for j in 0..<c.d {
            let scale = max(abs(svd.weights[j]), 1e-300)
            #expect(abs(qr.weights[j] - svd.weights[j]) <= 1e3 * Double.ulpOfOne * cond * max(scale, svd.weights.array.map(abs).max()!),
                    "w[\(j)]: qr \(qr.weights[j]) svd \(svd.weights[j]) cond \(cond)")
        }
    }
}

@Suite("Properties: the fused gradient equals the naive one")
struct PropertyGradientTests {
    /// Loss and gradient by plain loops in Double.
    static func naive(_ x: [[Double]], _ y: [Double], _ w: [Double], _ b: Double, l2: Double) -> (Double, [Double], Double) {
        let n = Double(x.count)
        let r = zip(x, y).map { row, t in zip(row, w).map(*).reduce(0, +) + b - t }
        let loss = r.map { $0 * $0 }.reduce(0, +) / n + l2 * w.map { $0 * $0 }.reduce(0, +)
        let gw = (0..<w.count).map { j in 2 / n * zip(x, r).map { $0[j] * $1 }.reduce(0, +) + 2 * l2 * w[j] }
        return (loss, gw, 2 / n * r.reduce(0, +))
    }

    func check<S: BLASScalar>(_: S.Type, seed: UInt64, tolerance: Double) {
        var random = PropertyRandom(seed: seed)
        let n = random.int(1...700), d = random.int(1...19)
        let blockRows = [1, 3, 64, 4096][random.int(0...3)]
        let x = (0..<n).map { _ in (0..<d).map { _ in Double(S(random.normal())) } }
        let y = (0..<n).map { _ in Double(S(random.normal())) }
        let w = (0..<d).map { _ in Double(S(random.normal())) }
        let b = Double(S(random.normal())), l2 = [0, 0.1][random.int(0...1)]
        var gradient = Vector<S>(zeros: d)
        let (loss, biasGradient) = meanSquaredErrorGradient(
            features: Matrix(x.map { $0.map { S($0) } }), targets: Vector(y.map { S($0) }), weights: Vector(w.map { S($0) }),
            bias: S(b), weightsGradient: &gradient, l2: S(l2), workspace: GradientWorkspace(featureCount: d, blockRows: blockRows))
        let (refLoss, refGradient, refBias) = Self.naive(x, y, w, b, l2: l2)
        let scale = 1 + refLoss
        #expect(abs(Double(loss) - refLoss) <= tolerance * scale, "loss n \(n) d \(d) block \(blockRows)")
        #expect(abs(Double(biasGradient) - refBias) <= tolerance * scale, "bias gradient n \(n) d \(d) block \(blockRows)")
        for j in 0..<d {
            #expect(abs(Double(gradient[j]) - refGradient[j]) <= tolerance * scale, "∂w[\(j)] n \(n) d \(d) block \(blockRows)")
        }
    }

    @Test("Double, random shapes and block sizes", arguments: 0..<12)
    func double(_ seed: Int) { check(Double.self, seed: UInt64(100 + seed), tolerance: 1e-12) }

    @Test("Float, random shapes and block sizes", arguments: 0..<12)
    func float(_ seed: Int) { check(Float.self, seed: UInt64(200 + seed), tolerance: 2e-4) }
}

@Suite("Properties: write → read round-trips exactly")
struct PropertyRoundTripTests {
    /// Values that stress shortest round-trip printing: extremes, subnormals, −0, integers, random bits.
    static func values<S: BLASScalar & BinaryFloatingPoint>(_: S.Type, count: Int, seed: UInt64) -> [S] {
        var random = PropertyRandom(seed: seed)
        let special: [S] = [0, -0.0, 1, -1, .ulpOfOne, .leastNonzeroMagnitude, .leastNormalMagnitude,
                            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, S(0.1), S(1) / S(3), 123456789]
        return (0..<count).map { k in
            if k < special.count { return special[k] }
            switch random.int(0...2) {
            case 0: return S(random.normal())
            case 1: return S(random.normal()) * S(Double(sign: .plus, exponent: random.int(-60...60), significand: 1))
            default:
                // Random finite bit patterns.
                while true {
                    let candidate: S = S.self == Float.self
                        ? S(Float(bitPattern: UInt32(truncatingIfNeeded: random.next())))
                        : S(Double(bitPattern: random.next()))
                    if candidate.isFinite { return candidate }
                }
            }
        }
    }

    func roundTrip<S: BLASScalar & BinaryFloatingPoint>(_: S.Type, seed: UInt64) throws {
        var random = PropertyRandom(seed: seed)
        let n = random.int(1...300), d = random.int(1...9)
        let all = Self.values(S.self, count: n * (d + 1), seed: seed)
        let features = Matrix<S>(rows: n, columns: d, elements: Array(all.prefix(n * d)))
        let targets = Vector<S>(Array(all.suffix(n)))
        let names = (0..<d).map { "f,\($0) \"q\"" }
        let dataset = Dataset(features: features, targets: targets, featureNames: names, targetName: "target y")
        let directory = makeTemporaryDirectory("descent-prop")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func bits(_ v: S) -> UInt64 { S.self == Float.self ? UInt64((v as! Float).bitPattern) : (v as! Double).bitPattern }
        func expectSame(_ read: Dataset<S>, _ label: String) {
            #expect(read.rowCount == n && read.featureCount == d, "\(label): shape")
            guard read.rowCount == n && read.featureCount == d else { return }
            let a = read.features.array, b = features.array
            let firstFeature = (0..<(n * d)).first { bits(a[$0]) != bits(b[$0]) }
            #expect(firstFeature == nil, "\(label): element \(firstFeature ?? 0): \(firstFeature.map { "\(a[$0]) vs \(b[$0])" } ?? "")")
            let firstTarget = (0..<n).first { bits(read.targets[$0]) != bits(targets[$0]) }
            #expect(firstTarget == nil, "\(label): target \(firstTarget ?? 0)")
        }
        try CSV.write(dataset, to: directory + "/data.csv")
        let csv = try CSV.loadDataset(directory + "/data.csv", target: "target y", as: S.self)
        expectSame(csv, "CSV")
        #expect(csv.featureNames == names && csv.targetName == "target y", "CSV names: \(csv.featureNames)")
        try NPY.write(dataset, to: directory + "/data.npy")
        expectSame(try NPY.loadDataset(directory + "/data.npy", as: S.self), ".npy")
        try NPY.write(features, to: directory + "/x.npy", version: 2)
        try NPY.write(targets, to: directory + "/y.npy")
        expectSame(try NPY.loadDataset(directory + "/x.npy", labelsPath: directory + "/y.npy", as: S.self), ".npy + labels")
    }

    @Test("Double", arguments: 0..<6)
    func double(_ seed: Int) throws { try roundTrip(Double.self, seed: UInt64(300 + seed)) }

    @Test("Float", arguments: 0..<6)
    func float(_ seed: Int) throws { try roundTrip(Float.self, seed: UInt64(400 + seed)) }
}

@Suite("Properties: training is reproducible")
struct PropertyTrainingTests {
    @Test("the same seed gives the same bits (full batch, mini-batch, validation split)", arguments: [nil, 1, 7, 64] as [Int?])
    func sameSeedSameBits(_ batchSize: Int?) throws {
        let problem = SyntheticData.make(rows: 2000, features: 6, noise: 0.1, seed: 9, as: Double.self)
        var configuration = TrainingConfiguration(optimizer: .adam(), learningRate: 0.01, epochs: 20, batchSize: batchSize,
                                                  normalization: .standardize, validationFraction: 0.2, seed: 5)
        configuration.gradientTolerance = 0
        let first = try Trainer<Double>(configuration).train(problem.dataset)
        let second = try Trainer<Double>(configuration).train(problem.dataset)
        #expect(first.model.weights.array.map(\.bitPattern) == second.model.weights.array.map(\.bitPattern))
        #expect(first.model.bias.bitPattern == second.model.bias.bitPattern)
        #expect(first.history.trainLoss.map(\.bitPattern) == second.history.trainLoss.map(\.bitPattern))
        configuration.seed = 6
        let other = try Trainer<Double>(configuration).train(problem.dataset)
        #expect(other.model.weights.array != first.model.weights.array, "a different seed should change the split and shuffles")
    }

    @Test("the bits do not depend on the thread count", arguments: zip([nil, nil, 32] as [Int?], [GradientMethod.fused, .gram, .fused]))
    func threadCountIndependent(_ batchSize: Int?, _ gradient: GradientMethod) throws {
        let problem = SyntheticData.make(rows: 30_000, features: 5, noise: 0.1, seed: 3, as: Double.self)
        var results: [[UInt64]] = []
        for threads in [1, 2, 3, 7] {
            var configuration = TrainingConfiguration(learningRate: 0.05, epochs: batchSize == nil ? 30 : 3, batchSize: batchSize,
                                                      normalization: .standardize, seed: 4)
            configuration.gradientTolerance = 0
            configuration.threads = threads
            configuration.gradient = gradient
            let result = try Trainer<Double>(configuration).train(problem.dataset)
            results.append((result.model.weights.array + [result.model.bias] + result.history.trainLoss).map(\.bitPattern))
        }
        for k in 1..<results.count { #expect(results[k] == results[0], "threads run \(k) differs from 1 thread") }
    }

    @Test("the fused gradient has the same bits on 1, 2, 3 and 8 threads")
    func gradientThreadCountIndependent() {
        var random = PropertyRandom(seed: 77)
        let (n, d) = (50_000, 7)
        let x = Matrix<Double>(rows: n, columns: d, elements: (0..<(n * d)).map { _ in random.normal() })
        let y = Vector<Double>((0..<n).map { _ in random.normal() })
        let w = Vector<Double>((0..<d).map { _ in random.normal() })
        var reference: [UInt64] = []
        for threads in [1, 2, 3, 8] {
            var gradient = Vector<Double>(zeros: d)
            let (loss, bias) = meanSquaredErrorGradient(features: x, targets: y, weights: w, bias: 0.5, weightsGradient: &gradient,
                                                        workspace: GradientWorkspace(featureCount: d, threads: threads))
            let bits = (gradient.array + [loss, bias]).map(\.bitPattern)
            if reference.isEmpty { reference = bits } else { #expect(bits == reference, "\(threads) threads") }
        }
    }
}

/// The chapter's data ("Deep Learning with PyTorch", ch. 5): 11 readings of a thermometer
/// with unknown units (`t_u`) next to the true temperature in Celsius (`t_c`).
public enum Thermometer {
    /// True temperatures in degrees Celsius.
    public static let celsius: [Double] = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
    /// The same moments read off the thermometer with unknown units.
    public static let unknownUnits: [Double] = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]

    /// The data set: one feature `t_u`, target `t_c`, in the requested precision.
    public static func dataset<Scalar: BLASScalar>(_: Scalar.Type = Scalar.self) -> Dataset<Scalar> {
        Dataset(features: Matrix(rows: unknownUnits.count, columns: 1, elements: unknownUnits.map { Scalar($0) }),
                targets: Vector(celsius.map { Scalar($0) }),
                featureNames: ["t_u"], targetName: "t_c", source: "thermometer")
    }
}

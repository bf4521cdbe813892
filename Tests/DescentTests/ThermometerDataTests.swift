import Descent
import Testing

@Suite("Thermometer data")
struct ThermometerDataTests {
    @Test("the embedded data are the chapter's 11 readings")
    func chapterReadings() {
        let data = Thermometer.dataset(Double.self)
        #expect(data.rowCount == 11)
        #expect(data.featureCount == 1)
        #expect(data.features[3, 0] == 81.9)
        #expect(data.targets[7] == -4.0)
        #expect(data.featureNames == ["t_u"])
    }
}

package batch

// ParseLineSlow is the encoding/json path of ParseLine, for the fuzz test.
var ParseLineSlow = parseSlow

// Package config loads and validates emulator.yaml: the functions whose
// $LATEST source folders are watched, their runtime settings and initial
// aliases, and the API Gateway style services that route stages to them.
// It reads the YAML node tree rather than decoding into structs, so every
// problem is reported with file, line, column and key path, all at once, and
// unknown keys are errors instead of being silently ignored.
package config

//go:build tools

// Package tools pins module dependencies that the packages below adopt one by one,
// so that go mod tidy keeps them in go.mod while the tree is being built.
package tools

import (
	_ "github.com/fatih/color"
	_ "github.com/fsnotify/fsnotify"
	_ "github.com/google/uuid"
	_ "github.com/gorilla/mux"
	_ "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	_ "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/scf/v20180416"
	_ "gopkg.in/yaml.v3"
)

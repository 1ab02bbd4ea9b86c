package api

import (
	"errors"
	"fmt"

	"github.com/scf-emulator/emulator/codezip"
	"github.com/scf-emulator/emulator/registry"
	"github.com/scf-emulator/emulator/scferr"
)

// Platform error codes the server answers with. The SCF-specific ones are the
// codes the SDK documents for the action in question (scf/v20180416/errors.go).
const (
	codeInternalError        = "InternalError"
	codeInvalidAction        = "InvalidAction"
	codeInvalidRequest       = "InvalidRequest"
	codeNoSuchVersion        = "NoSuchVersion"
	codeMissingParameter     = "MissingParameter"
	codeUnknownParameter     = "UnknownParameter"
	codeInvalidParameter     = "InvalidParameter"
	codeRequestTooLarge      = "InvalidParameter.RequestTooLarge"
	codeUnsupportedOperation = "UnsupportedOperation"

	codeFunctionNotFound       = "ResourceNotFound.Function"
	codeVersionNotFound        = "ResourceNotFound.Version"
	codeFunctionVersionMissing = "ResourceNotFound.FunctionVersion"
	codeQualifierNotFound      = "ResourceNotFound.Qualifier"
	codeAliasNotFound          = "ResourceNotFound.Alias"
	codeNamespaceNotFound      = "ResourceNotFound.Namespace"
	codeAliasInUse             = "ResourceInUse.Alias"
	codeFunctionInUse          = "ResourceInUse.Function"
	codeAliasBind              = "UnsupportedOperation.AliasBind"
	codeVersionLimit           = "LimitExceeded.FunctionVersions"
	codePublishFailed          = "FailedOperation.PublishVersion"
	codeInvokeFailed           = "FailedOperation.InvokeFunction"

	codeBadQualifier     = "InvalidParameterValue.Qualifier"
	codeBadAlias         = "InvalidParameterValue.Alias"
	codeBadName          = "InvalidParameterValue.Name"
	codeBadRouting       = "InvalidParameterValue.RoutingConfig"
	codeBadFunctionType  = "InvalidParameterValue.FunctionType"
	codeBadRoutingKey    = "InvalidParameterValue.RoutingKey"
	codeBadClientContext = "InvalidParameterValue.ClientContext"
	codeBadInvokeType    = "InvalidParameterValue.InvokeType"
	codeBadLogType       = "InvalidParameterValue.LogType"
	codeBadOffset        = "InvalidParameterValue.Offset"
	codeBadLimit         = "InvalidParameterValue.Limit"
	codeBadOrder         = "InvalidParameterValue.Order"
	codeBadOrderBy       = "InvalidParameterValue.OrderBy"
	codeBadFilters       = "InvalidParameterValue.Filters"

	codeSignatureFailure = "AuthFailure.SignatureFailure"
	codeSignatureExpire  = "AuthFailure.SignatureExpire"
	codeSecretIDNotFound = "AuthFailure.SecretIdNotFound"

	codeMissingCode      = "MissingParameter.Code"
	codeMissingRuntime   = "MissingParameter.Runtime"
	codeBadValue         = "InvalidParameterValue"
	codeBadZipFile       = "InvalidParameterValue.ZipFile"
	codeBadBase64        = "InvalidParameterValue.ZipFileBase64BinasciiError"
	codeBadCode          = "InvalidParameterValue.Code"
	codeBadCodeSource    = "InvalidParameterValue.CodeSource"
	codeBadFunctionName  = "InvalidParameterValue.FunctionName"
	codeBadRuntime       = "InvalidParameterValue.Runtime"
	codeBadHandler       = "InvalidParameterValue.Handler"
	codeBadMemorySize    = "InvalidParameterValue.MemorySize"
	codeBadType          = "InvalidParameterValue.Type"
	codeBadDescription   = "InvalidParameterValue.Description"
	codeBadEnvironment   = "InvalidParameterValue.Environment"
	codeEnvTooLarge      = "InvalidParameterValue.EnvironmentExceededLimit"
	codeEnvReserved      = "InvalidParameterValue.EnvironmentSystemProtect"
	codeMemoryLimit      = "LimitExceeded.Memory"
	codeTimeoutLimit     = "LimitExceeded.Timeout"
	codeInitTimeoutLimit = "LimitExceeded.InitTimeout"
	codeUpdateCode       = "UnsupportedOperation.UpdateFunctionCode"

	codeTriggerUnsupported = "UnsupportedOperation.Trigger"
	codeAsyncNotFound      = "ResourceNotFound.AsyncEvent"
	codeAsyncDone          = "FailedOperation.AsyncEvent"
	codeTriggerNotFound    = "ResourceNotFound.Trigger"
	codeTriggerInUse       = "ResourceInUse.Trigger"
	codeTriggerLimit       = "LimitExceeded.Trigger"
	codeBadTriggerDesc     = "InvalidParameterValue.TriggerDesc"
	codeBadTriggerName     = "InvalidParameterValue.TriggerName"
	codeBadEnable          = "InvalidParameterValue.Enable"

	codeBadDateTime  = "InvalidParameterValue.DateTime"
	codeBadTimeRange = "InvalidParameterValue.StartTimeOrEndTime"
	codeBadRetCode   = "InvalidParameterValue.RetCode"
	codeOffsetLimit  = "LimitExceeded.Offset"
)

// apiError is an answer in the platform's error envelope. Actions return it
// directly for parameter problems; errorFor produces it for everything else.
type apiError struct {
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newError(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// errorFor maps an action's error to the platform code. It is the only place
// that knows which code a registry or runtime error becomes; the same
// sentinel can mean different codes in different actions, as on the platform.
func errorFor(c *call, err error) *apiError {
	if e, ok := errors.AsType[*apiError](err); ok {
		return e
	}
	if e, ok := layerErrorFor(err); ok {
		return e
	}
	msg := err.Error()
	invoke := c.action == "Invoke" || c.action == "InvokeFunction"
	switch {
	case errors.Is(err, registry.ErrFunctionNotFound), errors.Is(err, scferr.ErrFunctionNotFound):
		return &apiError{codeFunctionNotFound, msg}
	case errors.Is(err, registry.ErrFunctionExists):
		return &apiError{codeFunctionInUse, msg}
	case errors.Is(err, registry.ErrVersionNotFound):
		switch {
		case c.action == "GetFunction":
			return &apiError{codeVersionNotFound, msg}
		case invoke, c.action == "DeleteFunctionVersion", c.action == "DeleteFunction", c.action == "CreateTrigger":
			return &apiError{codeQualifierNotFound, msg}
		default:
			return &apiError{codeFunctionVersionMissing, msg}
		}
	case errors.Is(err, registry.ErrAliasNotFound):
		if invoke || c.action == "CreateTrigger" {
			return &apiError{codeQualifierNotFound, msg}
		}
		return &apiError{codeAliasNotFound, msg}
	case errors.Is(err, scferr.ErrQualifierNotFound):
		return &apiError{codeQualifierNotFound, msg}
	case errors.Is(err, registry.ErrInvalidQualifier):
		return &apiError{codeBadQualifier, msg}
	case errors.Is(err, registry.ErrAliasExists):
		return &apiError{codeAliasInUse, msg}
	case errors.Is(err, registry.ErrDefaultAlias):
		return &apiError{codeBadAlias, msg}
	case errors.Is(err, registry.ErrInvalidAliasName):
		return &apiError{codeBadName, msg}
	case errors.Is(err, registry.ErrInvalidRouting):
		return &apiError{codeBadRouting, msg}
	case errors.Is(err, registry.ErrAliasBind):
		return &apiError{codeAliasBind, msg}
	case errors.Is(err, registry.ErrVersionLimit):
		return &apiError{codeVersionLimit, msg}
	case errors.Is(err, registry.ErrFunctionType):
		if invoke {
			msg = fmt.Sprintf("function %s is a web function (type HTTP): call it through the gateway, %s runs event functions only", c.function, c.action)
		}
		return &apiError{codeBadFunctionType, msg}
	case errors.Is(err, registry.ErrBuildFailed), c.action == "PublishVersion" && errors.Is(err, registry.ErrInvalidConfig):
		return &apiError{codePublishFailed, msg}
	case errors.Is(err, registry.ErrSourceNotManaged):
		return &apiError{codeUpdateCode, msg}
	case errors.Is(err, registry.ErrTriggerNotFound):
		return &apiError{codeTriggerNotFound, msg}
	case errors.Is(err, registry.ErrTriggerExists), errors.Is(err, registry.ErrTriggerConflict):
		return &apiError{codeTriggerInUse, msg}
	case errors.Is(err, registry.ErrTriggerLimit):
		return &apiError{codeTriggerLimit, msg}
	case errors.Is(err, registry.ErrInvalidTrigger):
		return &apiError{codeBadTriggerDesc, msg}
	case errors.Is(err, codezip.ErrNotZip), errors.Is(err, codezip.ErrUnsafePath), errors.Is(err, codezip.ErrUnsafeLink),
		errors.Is(err, codezip.ErrTooLarge), errors.Is(err, codezip.ErrTooManyFiles):
		return &apiError{codeBadZipFile, msg}
	case errors.Is(err, registry.ErrInvalidConfig):
		return &apiError{codeBadValue, msg}
	case errors.Is(err, scferr.ErrRequestTooLarge):
		return &apiError{codeRequestTooLarge, msg}
	case errors.Is(err, scferr.ErrBadEvent):
		return &apiError{codeBadClientContext, msg}
	case errors.Is(err, scferr.ErrRequestCanceled):
		return &apiError{codeInvokeFailed, msg}
	}
	return &apiError{codeInternalError, msg}
}

// invokeFailure reports whether err, returned by Backend.Invoke, is a failure
// of the function's environment (init error, missing handler, concurrency
// limit, ...). The platform reports those inside Result with InvokeResult -1,
// like a failure of the function itself, not as an API error. Caller
// mistakes (unknown function or qualifier, bad event) stay API errors.
func invokeFailure(err error) (*scferr.Error, bool) {
	e, ok := errors.AsType[*scferr.Error](err)
	if !ok {
		return nil, false
	}
	switch e.Status {
	case scferr.ErrBadEvent.Status, scferr.ErrRequestTooLarge.Status, scferr.ErrFunctionNotFound.Status,
		scferr.ErrQualifierNotFound.Status, scferr.ErrRequestCanceled.Status:
		return nil, false
	}
	return e, true
}

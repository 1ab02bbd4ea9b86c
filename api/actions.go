package api

// handlers is the table of implemented actions.
func (s *Server) handlers() map[string]handler {
	return map[string]handler{
		"CreateFunction":                     s.createFunction,
		"UpdateFunctionCode":                 s.updateFunctionCode,
		"UpdateFunctionConfiguration":        s.updateFunctionConfiguration,
		"DeleteFunction":                     s.deleteFunction,
		"GetFunction":                        s.getFunction,
		"ListFunctions":                      s.listFunctions,
		"PublishVersion":                     s.publishVersion,
		"ListVersionByFunction":              s.listVersionByFunction,
		"DeleteFunctionVersion":              s.deleteFunctionVersion,
		"CreateAlias":                        s.createAlias,
		"UpdateAlias":                        s.updateAlias,
		"GetAlias":                           s.getAlias,
		"ListAliases":                        s.listAliases,
		"DeleteAlias":                        s.deleteAlias,
		"Invoke":                             s.invoke,
		"InvokeFunction":                     s.invokeFunction,
		"GetFunctionLogs":                    s.getFunctionLogs,
		"GetRequestStatus":                   s.getRequestStatus,
		"CreateTrigger":                      s.createTrigger,
		"ListTriggers":                       s.listTriggers,
		"DeleteTrigger":                      s.deleteTrigger,
		"PublishLayerVersion":                s.publishLayerVersion,
		"ListLayers":                         s.listLayers,
		"ListLayerVersions":                  s.listLayerVersions,
		"GetLayerVersion":                    s.getLayerVersion,
		"DeleteLayerVersion":                 s.deleteLayerVersion,
		"CreateNamespace":                    s.createNamespace,
		"ListNamespaces":                     s.listNamespaces,
		"DeleteNamespace":                    s.deleteNamespace,
		"UpdateTrigger":                      s.updateTrigger,
		"UpdateTriggerStatus":                s.updateTriggerStatus,
		"ListAsyncEvents":                    s.listAsyncEvents,
		"GetAsyncEventStatus":                s.getAsyncEventStatus,
		"TerminateAsyncEvent":                s.terminateAsyncEvent,
		"GetFunctionEventInvokeConfig":       s.getEventInvokeConfig,
		"UpdateFunctionEventInvokeConfig":    s.updateEventInvokeConfig,
		"PutProvisionedConcurrencyConfig":    s.putProvisioned,
		"GetProvisionedConcurrencyConfig":    s.getProvisioned,
		"DeleteProvisionedConcurrencyConfig": s.deleteProvisioned,
		"PutReservedConcurrencyConfig":       s.putReserved,
		"GetReservedConcurrencyConfig":       s.getReserved,
		"DeleteReservedConcurrencyConfig":    s.deleteReserved,
	}
}

// sdkActions lists every action of the SCF 2018-04-16 SDK client (scf
// v1.3.101), so that an action the emulator lacks (UnsupportedOperation) is
// told apart from a name that is no SCF action at all (InvalidAction). A test
// compares it with the SDK client's methods.
func sdkActions() []string {
	return []string{
		"CopyFunction", "CreateAlias", "CreateCustomDomain", "CreateFunction", "CreateNamespace",
		"CreateTrigger", "DeleteAlias", "DeleteCustomDomain", "DeleteFunction", "DeleteFunctionVersion",
		"DeleteLayerVersion", "DeleteNamespace", "DeleteProvisionedConcurrencyConfig",
		"DeleteReservedConcurrencyConfig", "DeleteTrigger", "GetAccount", "GetAlias", "GetAsyncEventStatus",
		"GetCustomDomain", "GetFunction", "GetFunctionAddress", "GetFunctionEventInvokeConfig",
		"GetFunctionLogs", "GetLayerVersion", "GetProvisionedConcurrencyConfig", "GetRequestStatus",
		"GetReservedConcurrencyConfig", "Invoke", "InvokeFunction", "ListAliases", "ListAsyncEvents",
		"ListCustomDomains", "ListFunctions", "ListLayerVersions", "ListLayers", "ListNamespaces",
		"ListTriggers", "ListVersionByFunction", "PublishLayerVersion", "PublishVersion",
		"PutProvisionedConcurrencyConfig", "PutReservedConcurrencyConfig", "PutTotalConcurrencyConfig",
		"TerminateAsyncEvent", "UpdateAlias", "UpdateCustomDomain", "UpdateFunctionCode",
		"UpdateFunctionConfiguration", "UpdateFunctionEventInvokeConfig", "UpdateNamespace",
		"UpdateTrigger", "UpdateTriggerStatus",
	}
}

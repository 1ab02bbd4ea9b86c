package registry

import (
	"fmt"
	"path/filepath"

	"github.com/scf-emulator/emulator/platform"
	"github.com/scf-emulator/emulator/trigger"
)

// Bounds of message triggers, as the platform's CKafka trigger desc has
// them (maxMsgNum 1 to 10000, retry up to 10000).
const (
	MaxTriggerBatch = 10000
	MaxTriggerRetry = 10000
	MaxTriggerWait  = 60 * 1000 // ms
)

// checkEventTrigger validates the fields of a non-apigw trigger and fills
// its defaults.
func checkEventTrigger(t *Trigger) error {
	switch t.Type {
	case TriggerTimer:
		if _, err := trigger.ParseCron(t.Cron); err != nil {
			return err
		}
	case TriggerCOS:
		if t.Bucket == "" {
			return fmt.Errorf("bucket (the folder that acts as the COS bucket) is required")
		}
		if !filepath.IsAbs(t.Bucket) {
			return fmt.Errorf("bucket folder %q must be an absolute path", t.Bucket)
		}
		if t.Events == "" {
			t.Events = trigger.COSCreatedAll
		}
		if err := trigger.CheckCOSEvents(t.Events); err != nil {
			return err
		}
	case TriggerCKafka, TriggerCMQ:
		if !gatewayNameRE.MatchString(t.Topic) {
			return fmt.Errorf("topic %q must be 1 to 64 letters, digits, '_' or '-'", t.Topic)
		}
		switch {
		case t.Batch < 0 || t.Batch > MaxTriggerBatch:
			return fmt.Errorf("batch %d must be 1 to %d", t.Batch, MaxTriggerBatch)
		case t.Retry < 0 || t.Retry > MaxTriggerRetry:
			return fmt.Errorf("retry %d must be 0 to %d", t.Retry, MaxTriggerRetry)
		case t.MaxWaitMs < 0 || t.MaxWaitMs > MaxTriggerWait:
			return fmt.Errorf("maxWait %d ms must be 0 to %d ms", t.MaxWaitMs, MaxTriggerWait)
		}
	case TriggerCLB:
		if t.Method == "" {
			t.Method = "ANY"
		}
		if !platform.IsMethod(t.Method) {
			return fmt.Errorf("method %q must be one of %s", t.Method, platform.MethodList())
		}
		if err := checkTriggerPath(t.Path); err != nil {
			return err
		}
	default:
		return fmt.Errorf("type %q is not one of apigw, timer, cos, ckafka, cmq, clb", t.Type)
	}
	return nil
}

// UpdateTrigger replaces trigger t.Name of function name, which must exist
// with the same type; its AddTime is kept, and its LeftOut mark too unless
// the update enables it. Enabled, it must not overlap another enabled
// trigger (routeHolder). It notifies ChangeTrigger.
//
// Errors wrap ErrFunctionNotFound, ErrTriggerNotFound, ErrInvalidTrigger,
// ErrTriggerConflict or a qualifier error.
func (r *Registry) UpdateTrigger(name string, t Trigger) (Trigger, error) {
	t, err := checkTrigger(t)
	if err != nil {
		return Trigger{}, err
	}
	defer r.flush()
	r.mu.Lock()
	defer r.mu.Unlock()
	f, err := r.fnLocked(name)
	if err != nil {
		return Trigger{}, err
	}
	old, ok := f.triggers[t.Name]
	if !ok || old.Type != t.Type {
		return Trigger{}, fmt.Errorf("%w: %s trigger %s of function %s", ErrTriggerNotFound, t.Type, t.Name, name)
	}
	if err := checkQualifier(f, t.Qualifier); err != nil {
		return Trigger{}, err
	}
	if o, ok := r.st.Load().routeHolder(t, name); ok {
		err := routeConflict(o)
		if !old.Enabled {
			err = fmt.Errorf("%w; trigger %s of function %s stays disabled: delete one of the two triggers, then enable the one kept", err, t.Name, name)
		}
		return Trigger{}, err
	}
	t.Function, t.AddTime, t.ModTime = name, old.AddTime, r.stamp()
	// Enabling or disabling it is the caller's decision about a trigger
	// left out of a restore; an update that leaves it disabled keeps the
	// mark, so that parking the function again still enables it.
	t.LeftOut = old.LeftOut && !t.Enabled
	next := f.clone()
	next.triggers[t.Name] = t
	if err := r.commitLocked(next, Change{Kind: ChangeTrigger, Function: name, Trigger: t.Name}); err != nil {
		return Trigger{}, err
	}
	r.log.Info("trigger updated", "function", name, "trigger", t.Name, "type", t.Type, "enabled", t.Enabled)
	return t, nil
}

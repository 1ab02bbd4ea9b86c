package runtime

import (
	"context"
	"errors"
)

// ImageRuntime is a Runtime that runs specs in images (package
// runtime/docker), and can tell before a start whether a spec's image can
// be had. Mixed dispatches on it.
type ImageRuntime interface {
	Runtime
	// ResolveImage makes sure the image spec runs in can be used; progress,
	// when not nil, receives the progress of a pull. It fails with an error
	// matching ErrImageUnavailable when the image cannot be had.
	ResolveImage(ctx context.Context, spec Spec, progress func(PullProgress)) (ImageResolution, error)
}

// ErrImageUnavailable is in the error of an ImageRuntime's ResolveImage and
// Start when the image a spec needs is not present, cannot be pulled and has
// no local stand-in. It is known before any container is made, so callers may run
// the spec elsewhere (see Mixed).
var ErrImageUnavailable = errors.New("image unavailable")

// ImageState says how a spec's image was resolved.
type ImageState string

// Image states.
const (
	ImagePresent     ImageState = "present"     // found locally
	ImagePulled      ImageState = "pulled"      // pulled in this run
	ImageCreated     ImageState = "created"     // the static image, made locally without a registry
	ImageFallback    ImageState = "fallback"    // the Debian image stands in for a missing default
	ImageUnavailable ImageState = "unavailable" // none of the above
)

// ImageResolution is how the image of one spec was resolved.
type ImageResolution struct {
	Runtime string     // the spec's runtime
	Wanted  string     // the image the spec asks for
	Image   string     // the image it runs in; "" when unavailable
	State   ImageState // how Image was had
}

// PullProgress is the state of one image pull, reported as it goes.
type PullProgress struct {
	Image              string
	Layers, LayersDone int   // layers of the image, and those complete (pulled or already there)
	Bytes, Total       int64 // bytes downloaded so far, of the sizes known so far
	Done               bool  // the pull ended; Err says how
	Err                error
}

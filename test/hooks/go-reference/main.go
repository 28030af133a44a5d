// Reference outputs of Go's encoding/json for tusd v2's hook types, for test/hooks/go-json.test.ts.
//
// The structs copy the shapes of tusd's handler.FileInfo, handler.HTTPRequest, hooks.HookRequest and
// hooks.HookResponse (tusd v2.10, pkg/handler/datastore.go, http.go, pkg/hooks/hooks.go): field names,
// order, types, no json tags. Run with `go run main.go < cases.json > expected.json` (any Go; note that
// Go 1.22 and later write \b and \f as short escapes, which no case here contains).
package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
)

type FileInfo struct {
	ID             string
	Size           int64
	SizeIsDeferred bool
	Offset         int64
	MetaData       map[string]string
	IsPartial      bool
	IsFinal        bool
	PartialUploads []string
	Storage        map[string]string
}

type HTTPRequest struct {
	Method     string
	URI        string
	RemoteAddr string
	Header     map[string][]string
}

type HookEvent struct {
	Upload      FileInfo
	HTTPRequest HTTPRequest
}

type HookRequest struct {
	Type  string
	Event HookEvent
}

type HTTPResponse struct {
	StatusCode int
	Body       string
	Header     map[string]string
}

type FileInfoChanges struct {
	ID       string
	MetaData map[string]string
	Storage  map[string]string
}

type HookResponse struct {
	HTTPResponse      HTTPResponse
	RejectUpload      bool
	RejectTermination bool
	ChangeFileInfo    FileInfoChanges
	StopUpload        bool
}

// A request case: strings that may not be UTF-8 come base64-encoded.
type RequestCase struct {
	Name           string
	Type           string
	ID             string
	Size           int64
	SizeIsDeferred bool
	Offset         int64
	MetaData       map[string]string // key (base64) -> value (base64)
	NilMetaData    bool
	IsPartial      bool
	IsFinal        bool
	PartialUploads []string
	Storage        map[string]string
	Method         string
	URI            string
	RemoteAddr     string
	Header         map[string][]string
}

type Cases struct {
	Requests  []RequestCase
	Responses []string
}

type Expected struct {
	Requests  map[string]string
	Responses []ResponseResult
}

type ResponseResult struct {
	Input    string
	Response *HookResponse `json:",omitempty"`
	Error    string        `json:",omitempty"`
}

func decode(text string) string {
	bytes, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		panic(err)
	}
	return string(bytes)
}

func main() {
	var cases Cases
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	expected := Expected{Requests: map[string]string{}}
	for _, c := range cases.Requests {
		var meta map[string]string
		if !c.NilMetaData {
			meta = map[string]string{}
			for key, value := range c.MetaData {
				meta[decode(key)] = decode(value)
			}
		}
		request := HookRequest{Type: c.Type, Event: HookEvent{
			Upload: FileInfo{ID: c.ID, Size: c.Size, SizeIsDeferred: c.SizeIsDeferred, Offset: c.Offset, MetaData: meta,
				IsPartial: c.IsPartial, IsFinal: c.IsFinal, PartialUploads: c.PartialUploads, Storage: c.Storage},
			HTTPRequest: HTTPRequest{Method: c.Method, URI: c.URI, RemoteAddr: c.RemoteAddr, Header: c.Header},
		}}
		out, err := json.Marshal(request)
		if err != nil {
			panic(err)
		}
		expected.Requests[c.Name] = string(out)
	}
	for _, input := range cases.Responses {
		var response HookResponse
		if err := json.Unmarshal([]byte(input), &response); err != nil {
			expected.Responses = append(expected.Responses, ResponseResult{Input: input, Error: err.Error()})
		} else {
			expected.Responses = append(expected.Responses, ResponseResult{Input: input, Response: &response})
		}
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", "  ")
	if err := encoder.Encode(expected); err != nil {
		panic(err)
	}
}

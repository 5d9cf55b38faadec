package ssmapi

import (
	"context"
	"encoding/base64"
	"errors"

	"github.com/wharfhq/wharf/internal/api"
	"github.com/wharfhq/wharf/internal/api/awsjson"
	"github.com/wharfhq/wharf/internal/api/ssm/ssmwire"
	"github.com/wharfhq/wharf/internal/secrets"
)

// PutParameter creates a parameter or adds a version to it.
func (h *Handler) PutParameter(ctx context.Context, in *ssmwire.PutParameterRequest) (*ssmwire.PutParameterResult, error) {
	version, tier, err := h.store.PutParameter(ctx, secrets.PutParameterInput{
		Name: in.Name, Type: string(in.Type), Value: in.Value, Description: in.Description,
		DataType: in.DataType, KeyID: in.KeyId, Overwrite: in.Overwrite != nil && *in.Overwrite,
	})
	if err != nil {
		return nil, mapError(err)
	}
	return &ssmwire.PutParameterResult{Version: version, Tier: ssmwire.ParameterTier(tier)}, nil
}

// GetParameter returns a parameter by name, ARN or "name:version".
func (h *Handler) GetParameter(ctx context.Context, in *ssmwire.GetParameterRequest) (*ssmwire.GetParameterResult, error) {
	p, err := h.store.GetParameter(ctx, in.Name, in.WithDecryption != nil && *in.WithDecryption)
	if err != nil {
		return nil, mapError(err)
	}
	w := toWire(p)
	return &ssmwire.GetParameterResult{Parameter: &w}, nil
}

// GetParameters returns the parameters that exist; the names that do not
// (or name a missing version) are listed in InvalidParameters.
func (h *Handler) GetParameters(ctx context.Context, in *ssmwire.GetParametersRequest) (*ssmwire.GetParametersResult, error) {
	out := &ssmwire.GetParametersResult{Parameters: []ssmwire.Parameter{}, InvalidParameters: []string{}}
	decrypt := in.WithDecryption != nil && *in.WithDecryption
	seen := map[string]bool{}
	for _, name := range in.Names {
		if seen[name] {
			continue
		}
		seen[name] = true
		p, err := h.store.GetParameter(ctx, name, decrypt)
		if errors.Is(err, secrets.ErrNotFound) || errors.Is(err, secrets.ErrVersionNotFound) {
			out.InvalidParameters = append(out.InvalidParameters, name)
			continue
		}
		if err != nil {
			return nil, mapError(err)
		}
		out.Parameters = append(out.Parameters, toWire(p))
	}
	return out, nil
}

// maxByPathResults is the default and largest page of GetParametersByPath.
const maxByPathResults = 10

// GetParametersByPath lists the parameters under a path, a page at a time.
func (h *Handler) GetParametersByPath(ctx context.Context, in *ssmwire.GetParametersByPathRequest) (*ssmwire.GetParametersByPathResult, error) {
	var types []string
	for _, f := range in.ParameterFilters {
		if f.Key != "Type" {
			return nil, api.Errorf(ssmwire.ErrInvalidFilterKey, "The filter key %s is not supported by wharf (only Type).", f.Key)
		}
		if f.Option != "" && f.Option != "Equals" {
			return nil, api.Errorf(ssmwire.ErrInvalidFilterOption, "The filter option %s is not valid for key Type; use Equals.", f.Option)
		}
		types = append(types, f.Values...)
	}
	params, err := h.store.ParametersByPath(ctx, in.Path, in.Recursive != nil && *in.Recursive,
		in.WithDecryption != nil && *in.WithDecryption, types)
	if err != nil {
		return nil, mapError(err)
	}
	size := maxByPathResults
	if in.MaxResults != nil && *in.MaxResults > 0 {
		size = int(*in.MaxResults)
	}
	start := 0
	if in.NextToken != "" {
		after, err := decodeToken(in.NextToken)
		if err != nil {
			return nil, err
		}
		for start < len(params) && params[start].Name <= after {
			start++
		}
	}
	end := min(start+size, len(params))
	out := &ssmwire.GetParametersByPathResult{Parameters: []ssmwire.Parameter{}}
	for _, p := range params[start:end] {
		out.Parameters = append(out.Parameters, toWire(&p))
	}
	if end < len(params) {
		out.NextToken = encodeToken(params[end-1].Name)
	}
	return out, nil
}

const tokenPrefix = "ssm-by-path:"

func encodeToken(last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + last))
}

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < len(tokenPrefix) || string(b[:len(tokenPrefix)]) != tokenPrefix {
		return "", api.Errorf(ssmwire.ErrInvalidNextToken, "The specified token is not valid.")
	}
	return string(b[len(tokenPrefix):]), nil
}

// DeleteParameter deletes a parameter and its history.
func (h *Handler) DeleteParameter(ctx context.Context, in *ssmwire.DeleteParameterRequest) (*struct{}, error) {
	return nil, mapError(h.store.DeleteParameter(ctx, in.Name))
}

// DeleteParameters deletes up to 10 parameters; names that do not exist
// are listed in InvalidParameters.
func (h *Handler) DeleteParameters(ctx context.Context, in *ssmwire.DeleteParametersRequest) (*ssmwire.DeleteParametersResult, error) {
	out := &ssmwire.DeleteParametersResult{DeletedParameters: []string{}, InvalidParameters: []string{}}
	for _, name := range in.Names {
		err := h.store.DeleteParameter(ctx, name)
		switch {
		case err == nil:
			out.DeletedParameters = append(out.DeletedParameters, name)
		case errors.Is(err, secrets.ErrNotFound):
			out.InvalidParameters = append(out.InvalidParameters, name)
		default:
			return nil, mapError(err)
		}
	}
	return out, nil
}

func toWire(p *secrets.Parameter) ssmwire.Parameter {
	return ssmwire.Parameter{
		ARN: p.ARN, DataType: p.DataType, LastModifiedDate: awsjson.NewTimestamp(p.Modified),
		Name: p.Name, Selector: p.Selector, Type: ssmwire.ParameterType(p.Type),
		Value: p.Value, Version: p.Version,
	}
}

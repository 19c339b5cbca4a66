package main

import (
	"encoding/json"
	"slices"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
)

// propertyDiffs collects a resource's changed inputs, each an update in place or a replacement.
type propertyDiffs map[string]p.PropertyDiff

func (d propertyDiffs) note(property string, changed, replaces bool) {
	if !changed {
		return
	}
	kind := p.Update
	if replaces {
		kind = p.UpdateReplace
	}
	d[property] = p.PropertyDiff{Kind: kind, InputDiff: true}
}

func (d propertyDiffs) response() p.DiffResponse {
	return p.DiffResponse{HasChanges: len(d) > 0, DetailedDiff: d}
}

// sameSet compares two lists as the sets Terraform schemas declare them (TypeSet): order and repeats
// do not count; fold compares case-insensitively, as tag sets do (util.HashStringIgnoreCase).
func sameSet(a, b []string, fold bool) bool {
	return slices.Equal(setOf(a, fold), setOf(b, fold))
}

func setOf(values []string, fold bool) []string {
	set := []string{}
	for _, v := range values {
		if fold {
			v = strings.ToLower(v)
		}
		set = append(set, v)
	}
	slices.Sort(set)
	return slices.Compact(set)
}

// sameObjectSet compares two lists of objects as sets, by their JSON (encoding/json sorts map keys).
func sameObjectSet[T any](a, b []T, canonical func(T) T) bool {
	encode := func(items []T) []string {
		out := make([]string, 0, len(items))
		for _, item := range items {
			text, _ := json.Marshal(canonical(item))
			out = append(out, string(text))
		}
		return out
	}
	return sameSet(encode(a), encode(b), false)
}

func valueOr[T any](value *T, fallback T) T {
	if value == nil {
		return fallback
	}
	return *value
}

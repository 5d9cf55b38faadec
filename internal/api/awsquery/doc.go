// Package awsquery is the runtime shared by the generated wire packages of
// AWS query-protocol services (elbv2wire).
//
// Requests arrive as form parameters (Action=…&Version=…); ParseForm turns
// them into a tree of Nodes split on ".", which generated DecodeQuery
// methods walk:
//
//	Name=v                          scalar member
//	Name.Member=v                   structure member
//	Name.member.N[.Sub]=v           list element N (1-based; "Name=" is an empty list)
//	Name.entry.N.key=k / .value=v   map entry
//
// booleans are true/false, timestamps ISO 8601 (or epoch seconds).
// Responses are written by generated EncodeXML methods through an
// XMLWriter; lists are <Name><member>…</member></Name>. Malformed input
// gives a *ValidationError naming the parameter, like generated validators.
package awsquery

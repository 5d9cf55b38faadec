package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/spf13/cobra"
)

func newRegistryCmd(_ *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Work with the server's image registry",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newRegistryLoginCmd())
	return cmd
}

func newRegistryLoginCmd() *cobra.Command {
	var endpoint, dockerBin string
	var printOnly bool
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log the Docker CLI in to the server's registry",
		Long: `Get a registry token from the server's ECR API (GetAuthorizationToken) and
hand it to "docker login", as

  aws ecr get-login-password | docker login --username AWS --password-stdin HOST:PORT

does. The token is valid for 12 hours. With --print, print the registry
address and password instead of running docker.`,
		Example: `  wharf registry login
  wharf registry login --endpoint http://10.0.0.1:7150`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client := ecr.NewFromConfig(cliAWSConfig(), func(o *ecr.Options) { o.BaseEndpoint = aws.String(endpoint) })
			out, err := client.GetAuthorizationToken(cmd.Context(), &ecr.GetAuthorizationTokenInput{})
			if err != nil {
				return fmt.Errorf("get a registry token from %s: %w", endpoint, err)
			}
			if len(out.AuthorizationData) == 0 {
				return fmt.Errorf("the server returned no authorization data")
			}
			ad := out.AuthorizationData[0]
			raw, err := base64.StdEncoding.DecodeString(aws.ToString(ad.AuthorizationToken))
			if err != nil {
				return fmt.Errorf("decode the registry token: %w", err)
			}
			user, pass, ok := strings.Cut(string(raw), ":")
			if !ok {
				return fmt.Errorf("the registry token is not user:password")
			}
			host := aws.ToString(ad.ProxyEndpoint)
			if u, err := url.Parse(host); err == nil && u.Host != "" {
				host = u.Host
			}
			if printOnly {
				fmt.Fprintf(cmd.OutOrStdout(), "registry %s\nusername %s\npassword %s\n", host, user, pass)
				return nil
			}
			login := exec.CommandContext(cmd.Context(), dockerBin, "login", "--username", user, "--password-stdin", host)
			login.Stdin = bytes.NewBufferString(pass)
			login.Stdout, login.Stderr = cmd.OutOrStdout(), os.Stderr
			if err := login.Run(); err != nil {
				return fmt.Errorf("docker login %s: %w", host, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&endpoint, "endpoint", envOr("WHARF_ENDPOINT", defaultEndpoint), "wharf server URL (env WHARF_ENDPOINT)")
	cmd.Flags().StringVar(&dockerBin, "docker", "docker", "docker CLI to run")
	cmd.Flags().BoolVar(&printOnly, "print", false, "print the registry address and credentials instead of running docker login")
	return cmd
}

param(
    [Parameter(Mandatory = $true)]
    [ValidateSet("staging", "production")]
    [string]$Environment,

    [string]$Tag = "latest"
)

$ErrorActionPreference = "Stop"

$registry = "registry.example.com/shop"
$image = "$registry/api:$Tag"

Write-Host "Deploying $image to $Environment"
docker pull $image
if ($LASTEXITCODE -ne 0) {
    throw "docker pull failed for $image"
}

kubectl --context $Environment set image deployment/api api=$image
kubectl --context $Environment rollout status deployment/api --timeout=300s
if ($LASTEXITCODE -ne 0) {
    throw "rollout of $image did not finish"
}

// The two example bodies of the CData Sync seed page that are not valid JSON as printed, character
// for character: the lenient body reader must accept both, and the CData routes are sent them verbatim.
export const SEED_EXECUTE = `{
tasks:[
"870237973789151200",
"870875808946851841",
"870875808946851842"
]
}`;

export const SEED_UPDATE_JOB = `{
"name": "reverseETLJob",
"schedule": {
"enabled": false,
"cron": ""
}`;

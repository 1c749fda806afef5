// `npm run token -- --user <id> [--tier free|premium|enterprise] [--ttl seconds]`: prints a bearer token
// the local cloud accepts, signed with the key in the local data folder.
import { parseArgs } from 'node:util';
import { TIERS, type Tier } from '../../shared/http/auth';
import { issueToken, loadIssuer } from './jwt';

const { values } = parseArgs({
  options: {
    user: { type: 'string' },
    tier: { type: 'string', default: 'free' },
    ttl: { type: 'string', default: String(12 * 3600) },
  },
});

if (!values.user || !(TIERS as readonly string[]).includes(values.tier)) {
  console.error('Usage: npm run token -- --user <id> [--tier free|premium|enterprise] [--ttl seconds]');
  process.exit(2);
}
const issuer = loadIssuer(process.env.LOCAL_DATA_DIR ?? '.local/data');
console.log(
  issueToken(issuer, { userId: values.user, tier: values.tier as Tier, ttlSeconds: Number(values.ttl) }),
);

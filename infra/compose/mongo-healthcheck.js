// docker-compose.yml's MongoDB health check (mongosh, as the root user): initiates the single-member
// replica set on first start, then reports healthy once this member is the writable primary.
/* global db, rs, quit */
try {
  rs.status();
} catch {
  rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongodb:27017' }] });
}
if (!db.hello().isWritablePrimary) quit(1);

/**
 * Thirty unrelated errors one service has never logged: an incident's storm of
 * new patterns (incident tests and the alerting benchmark).
 */
const n = () => 100 + Math.floor(Math.random() * 900);

export const STORM_ERRORS: ReadonlyArray<() => string> = [
  () => `Warehouse picking robot ${n()} halted: lidar calibration drift exceeds tolerance`,
  () => `Carrier label printer offline, spool directory rejected job ${n()}`,
  () => `Parcel weight mismatch detected at packing station, manifest reconciliation aborted`,
  () => `Customs declaration webhook signature verification failed for shipment ${n()}`,
  () => `Conveyor belt controller PLC timeout while reading sensor register ${n()}`,
  () => `Route optimisation solver exhausted iterations without feasible schedule`,
  () => `Cold chain thermometer reported impossible reading, quarantining pallet ${n()}`,
  () => `Address geocoder quota depleted; falling back to postal centroid lookup`,
  () => `Dangerous goods classification lookup returned unknown hazard category`,
  () => `Returns portal failed decrypting RMA token: authentication tag invalid`,
  () => `Dock door scheduler deadlock between inbound trailer ${n()} and outbound trailer`,
  () => `Barcode scanner firmware crashed decoding damaged symbology`,
  () => `Fleet telematics stream lagging: GPS fixes arriving minutes late`,
  () => `Insurance valuation microservice replied with malformed JSON envelope`,
  () => `Pallet wrapping machine emergency stop engaged by safety interlock`,
  () => `Tariff table checksum differs from published version, refusing duty calculation`,
  () => `Courier handover photo upload rejected by object storage: bucket policy denies write`,
  () => `Slotting algorithm produced negative bin capacity for aisle ${n()}`,
  () => `Drone delivery airspace permit expired mid-flight for sortie ${n()}`,
  () => `Proof of delivery signature pad returned empty vector stroke data`,
  () => `Cross-docking reservation overbooked: forklift ${n()} assigned twice`,
  () => `Hazmat placard generator font cache corrupted`,
  () => `Inventory cycle count variance breached audit threshold in zone ${n()}`,
  () => `Freight invoice OCR extracted currency symbol nobody recognises`,
  () => `Locker bank ${n()} firmware refused unlock command: nonce replay suspected`,
  () => `Yard management RFID gate antenna unplugged or shorted`,
  () => `Packaging recommender ML model file truncated while loading weights`,
  () => `Export compliance screening vendor unreachable; embargo checks suspended`,
  () => `Shipment consolidation job violated maximum trailer axle load`,
  () => `Replenishment forecast cron overlapped previous run, lock stolen after ${n()} seconds`,
];

package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ts is a protobuf Timestamp on the wire: RFC 3339 UTC with millis, null
// when unset (grpc-gateway emits unpopulated message fields as null).
type ts struct{ time.Time }

func (t ts) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format("2006-01-02T15:04:05.000Z") + `"`), nil
}

func at(t time.Time) ts { return ts{t} }

func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("mock: encoding a response: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// catalogItem is a CatalogItem exactly as the API serializes it.
type catalogItem struct {
	CatalogID                string             `json:"catalog_id"`
	Name                     string             `json:"name"`
	SKU                      string             `json:"sku"`
	Brand                    string             `json:"brand"`
	Gender                   string             `json:"gender"`
	ReleaseDate              ts                 `json:"release_date"`
	ProductCategory          string             `json:"product_category"`
	ProductCategoryV2        string             `json:"product_category_v2"`
	ProductType              string             `json:"product_type"`
	SizeUnit                 string             `json:"size_unit"`
	AllowedSizes             []allowedSize      `json:"allowed_sizes"`
	MinimumListingPriceCents int64              `json:"minimum_listing_price_cents,string"`
	MaximumListingPriceCents int64              `json:"maximum_listing_price_cents,string"`
	MainPictureURL           string             `json:"main_picture_url"`
	RetailPriceCents         int64              `json:"retail_price_cents,string"`
	Colorway                 string             `json:"colorway"`
	Nickname                 string             `json:"nickname"`
	RequiresListingPictures  bool               `json:"requires_listing_pictures"`
	Resellable               bool               `json:"resellable"`
	RequestedPictures        []requestedPicture `json:"requested_pictures"`

	hype float64 // market price multiple of retail, seeded
}

type allowedSize struct {
	DisplayName      string  `json:"display_name"`
	Value            float64 `json:"value"`
	USSizeEquivalent float64 `json:"us_size_equivalent"`
}

type requestedPicture struct {
	Type     string `json:"type"`
	Quantity int64  `json:"quantity,string"`
}

// sizeByValue finds an allowed size by its value in the item's unit.
func (c *catalogItem) sizeByValue(v float64) (allowedSize, bool) {
	for _, s := range c.AllowedSizes {
		if s.Value == v {
			return s, true
		}
	}
	return allowedSize{}, false
}

// sizeByUS finds an allowed size by its US equivalent.
func (c *catalogItem) sizeByUS(v float64) (allowedSize, bool) {
	for _, s := range c.AllowedSizes {
		if s.USSizeEquivalent == v {
			return s, true
		}
	}
	return allowedSize{}, false
}

// listing is a Listing as serialized. Consigned is always present here
// (only pricing variants make it conditional).
type listing struct {
	ID                 string            `json:"id"`
	CatalogID          string            `json:"catalog_id"`
	Condition          string            `json:"condition"`
	PackagingCondition string            `json:"packaging_condition"`
	Size               float64           `json:"size"`
	SizeUnit           string            `json:"size_unit"`
	SKU                string            `json:"sku"`
	Consigned          bool              `json:"consigned"`
	CreatedAt          ts                `json:"created_at"`
	UpdatedAt          ts                `json:"updated_at"`
	Status             string            `json:"status"`
	PriceCents         int64             `json:"price_cents,string"`
	ActivatedAt        ts                `json:"activated_at"`
	Metadata           map[string]string `json:"metadata"`
	Defects            []string          `json:"defects"`
	AdditionalDefects  string            `json:"additional_defects"`

	seq int // creation order, the stable tie-break
}

func (l *listing) clone() *listing {
	c := *l
	c.Metadata = make(map[string]string, len(l.Metadata))
	for k, v := range l.Metadata {
		c.Metadata[k] = v
	}
	c.Defects = append([]string{}, l.Defects...)
	return &c
}

// picture is an uploaded listing picture.
type picture struct {
	ID        string `json:"id"`
	ListingID string `json:"listing_id"`
	Type      string `json:"type"`
	Order     int64  `json:"order,string"`
	URL       string `json:"url"`
}

// order is an Order as serialized. FulfillmentStatus and
// CustomsDeclaration are optional and left out when unset.
type order struct {
	ID                  string              `json:"id"`
	Status              string              `json:"status"`
	FulfillmentStatus   string              `json:"fulfillment_status,omitempty"`
	CatalogID           string              `json:"catalog_id"`
	CatalogName         string              `json:"catalog_name"`
	CatalogBrand        string              `json:"catalog_brand"`
	CatalogSKU          string              `json:"catalog_sku"`
	Size                float64             `json:"size"`
	PriceCents          int64               `json:"price_cents,string"`
	PriceCentsAfterTake int64               `json:"price_cents_after_take,string"`
	SalesChannel        string              `json:"sales_channel"`
	PurchaseOrderNumber string              `json:"purchase_order_number"`
	ListingID           string              `json:"listing_id"`
	LabelType           string              `json:"label_type"`
	LabelURL            string              `json:"label_url"`
	LabelTrackingNumber string              `json:"label_tracking_number"`
	LabelCourier        string              `json:"label_courier"`
	SoldAt              ts                  `json:"sold_at"`
	LabelGeneratedAt    ts                  `json:"label_generated_at"`
	InTransitAt         ts                  `json:"in_transit_at"`
	UpdatedAt           ts                  `json:"updated_at"`
	CancelsAt           ts                  `json:"cancels_at"`
	CustomsDeclaration  *customsDeclaration `json:"customs_declaration,omitempty"`
}

type customsDeclaration struct {
	CommercialInvoiceURL      string `json:"commercial_invoice_url"`
	DeclaredCustomsValueCents int64  `json:"declared_customs_value_cents,string"`
}

// Order statuses. The API publishes only the five in alias.OrderStatuses;
// an order awaiting the seller's confirmation needs a name, and the mock
// uses this invented one (documented in README.md).
const (
	orderNew           = "ORDER_STATUS_NEW"
	orderConfirmed     = "ORDER_STATUS_CONFIRMED"
	orderLabel         = "ORDER_STATUS_LABEL_GENERATED"
	orderInTransit     = "ORDER_STATUS_IN_TRANSIT"
	orderCompleted     = "ORDER_STATUS_COMPLETED"
	orderCanceled      = "ORDER_STATUS_CANCELED"
	fulfillShipped     = "FULFILLMENT_STATUS_SELLER_SHIPPED"
	fulfillInTransit   = "FULFILLMENT_STATUS_IN_TRANSIT"
	fulfillDelivered   = "FULFILLMENT_STATUS_DELIVERED"
	labelTypeInvalid   = "LABEL_TYPE_INVALID"
	labelTypeShipping  = "LABEL_TYPE_SHIPPING"
	listingActive      = "LISTING_STATUS_ACTIVE"
	listingInactive    = "LISTING_STATUS_INACTIVE"
	listingPending     = "LISTING_STATUS_PENDING"
	listingSold        = "LISTING_STATUS_SOLD"
	batchPending       = "BATCH_STATUS_PENDING"
	batchInProgress    = "BATCH_STATUS_IN_PROGRESS"
	batchCompleted     = "BATCH_STATUS_COMPLETED"
	opPending          = "BATCH_OPERATION_STATUS_PENDING"
	opInProgress       = "BATCH_OPERATION_STATUS_IN_PROGRESS"
	opCompleted        = "BATCH_OPERATION_STATUS_COMPLETED"
	opFailed           = "BATCH_OPERATION_STATUS_FAILED"
	conditionOpEQ      = "CONDITION_OPERATOR_EQ"
	conditionOpInvalid = "CONDITION_OPERATOR_INVALID"
)

// Batch types. Only BATCH_TYPE_INVALID is published; these names are the
// mock's stand-ins (README.md).
const (
	batchTypeCreate     = "BATCH_TYPE_CREATE_LISTING"
	batchTypeUpdate     = "BATCH_TYPE_UPDATE_LISTING"
	batchTypeActivate   = "BATCH_TYPE_ACTIVATE_LISTING"
	batchTypeDeactivate = "BATCH_TYPE_DEACTIVATE_LISTING"
	batchTypeDelete     = "BATCH_TYPE_DELETE_LISTING"
)

// batch is a batch job; its JSON is GetBatch's unwrapped body.
type batch struct {
	batchSummary
	CreatedAt   ts `json:"created_at"`
	ProcessedAt ts `json:"processed_at"`
	CompletedAt ts `json:"completed_at"`

	ops []*batchOp
	seq int
}

// batchSummary is a batch as ListBatches shows it.
type batchSummary struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Type      string `json:"type"`
	Queued    int64  `json:"queued,string"`
	Processed int64  `json:"processed,string"`
	Failed    int64  `json:"failed,string"`
}

// batchOp is one BatchOperation: its type, one *_request and, once done,
// one *_result.
type batchOp struct {
	Type                     string            `json:"type"`
	CreateListingResult      *createResult     `json:"create_listing_result,omitempty"`
	UpdateListingResult      *updateResult     `json:"update_listing_result,omitempty"`
	ActivateListingResult    *idOnly           `json:"activate_listing_result,omitempty"`
	DeactivateListingResult  *idOnly           `json:"deactivate_listing_result,omitempty"`
	DeleteListingResult      *idOnly           `json:"delete_listing_result,omitempty"`
	Errors                   []string          `json:"errors"`
	Success                  bool              `json:"success"`
	CreatedAt                ts                `json:"created_at"`
	ProcessedAt              ts                `json:"processed_at"`
	CompletedAt              ts                `json:"completed_at"`
	Status                   string            `json:"status"`
	CreateListingRequest     *createItem       `json:"create_listing_request,omitempty"`
	UpdateListingRequest     *updateItem       `json:"update_listing_request,omitempty"`
	ActivateListingRequest   *idOnly           `json:"activate_listing_request,omitempty"`
	DeactivateListingRequest *idOnly           `json:"deactivate_listing_request,omitempty"`
	DeleteListingRequest     *idOnly           `json:"delete_listing_request,omitempty"`
	metadata                 map[string]string // the metadata_list entry for this listing
}

type idOnly struct {
	ID string `json:"id"`
}

type createResult struct {
	Listing *listing `json:"listing"`
}

type updateResult struct {
	To updateTo `json:"to"`
	ID string   `json:"id"`
}

type updateTo struct {
	CatalogID  string  `json:"catalog_id"`
	PriceCents int64   `json:"price_cents,string"`
	Size       float64 `json:"size"`
}

// createItem is one batch_create item, as received and as echoed in
// create_listing_request.
type createItem struct {
	CatalogID          string              `json:"catalog_id"`
	Activate           bool                `json:"activate"`
	SizeUnit           enumVal             `json:"size_unit"`
	Condition          enumVal             `json:"condition"`
	PackagingCondition enumVal             `json:"packaging_condition"`
	MetadataList       []map[string]string `json:"metadata_list"`
	PriceCents         i64                 `json:"price_cents"`
	Size               f64                 `json:"size"`
	Quantity           i64                 `json:"quantity"`
}

// updateItem is one batch_update item.
type updateItem struct {
	ID               string        `json:"id"`
	PriceCentsChange *int64Change  `json:"price_cents_change,omitempty"`
	SizeChange       *doubleChange `json:"size_change,omitempty"`
	CatalogIDChange  *stringChange `json:"catalog_id_change,omitempty"`
}

type int64Change struct {
	NewValue          i64     `json:"new_value"`
	ConditionalValue  *i64    `json:"conditional_value,omitempty"`
	ConditionOperator enumVal `json:"condition_operator"`
}

type doubleChange struct {
	NewValue          f64     `json:"new_value"`
	ConditionalValue  *f64    `json:"conditional_value,omitempty"`
	ConditionOperator enumVal `json:"condition_operator"`
}

type stringChange struct {
	NewValue          string  `json:"new_value"`
	ConditionalValue  *string `json:"conditional_value,omitempty"`
	ConditionOperator enumVal `json:"condition_operator"`
}

// i64 is an int64 field of a request body: written as a JSON string (the
// API's int64 rule), read from a string or a number (clients send both).
type i64 int64

func (v i64) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(v), 10) + `"`), nil
}

func (v *i64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%s is not an int64", b)
	}
	*v = i64(n)
	return nil
}

// f64 is a double read from a number or a numeric string.
type f64 float64

func (v *f64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return fmt.Errorf("%s is not a number", b)
	}
	*v = f64(n)
	return nil
}

// enumVal is an enum read from its name or its number (kept as digits
// until validated).
type enumVal string

func (v *enumVal) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = enumVal(s)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("%s is not an enum name or number", b)
	}
	*v = enumVal(strconv.FormatInt(n, 10))
	return nil
}
